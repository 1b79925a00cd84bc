Console.WriteLine("FinanceAgent: the sample grows with the SDK.");

using Aztp.Grpc;
using FinanceAgent.Protos;

namespace FinanceAgent;

/// <summary>The finance agent's handlers. Aztp runs identity and policy checks before any of these is called.</summary>
public sealed class FinanceService
{
    private int _calls;

    /// <summary>How many times a handler actually ran (denied calls never reach it).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>calculate-tax.</summary>
    public Task<TaxReply> CalculateTax(TaxRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        if (request.Amount < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "amount must not be negative"));
        }
        return Task.FromResult(TaxTable.Calculate(request.Amount));
    }
}

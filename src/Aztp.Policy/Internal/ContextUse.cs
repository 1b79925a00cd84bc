namespace Aztp.Policy.Internal;

/// <summary>
/// Static question asked once per policy: can evaluating its conditions read the request's <c>context</c>? Every
/// occurrence of the <c>context</c> variable counts (attribute access, <c>has</c>, indexing, comparing or passing
/// the whole record), whether or not evaluation would reach it; a node this walk does not know counts too, so an
/// AST extended later is treated as reading until it is taught here (fail safe: the answer may only be "no" when no
/// evaluation can touch the context).
/// </summary>
internal static class ContextUse
{
    public static bool Reads(Condition[] conditions)
    {
        foreach (var c in conditions)
        {
            if (Reads(c.Body))
            {
                return true;
            }
        }
        // A scope constrains principal, action and resource with entity literals only; it has no expression that
        // could name the context.
        return false;
    }

    public static bool Reads(Expr e) => e switch
    {
        LiteralExpr => false,
        VarExpr v => v.Var switch
        {
            VarKind.Principal or VarKind.Action or VarKind.Resource => false,
            _ => true,
        },
        IfExpr x => Reads(x.Cond) || Reads(x.Then) || Reads(x.Else),
        LogicExpr x => Reads(x.Left) || Reads(x.Right),
        UnaryExpr x => Reads(x.Operand),
        BinaryExpr x => Reads(x.Left) || Reads(x.Right),
        AttrExpr x => Reads(x.Target),
        LikeExpr x => Reads(x.Target),
        IsExpr x => Reads(x.Target) || (x.In is { } inExpr && Reads(inExpr)),
        CallExpr x => Any(x.Args),
        SetExpr x => Any(x.Items),
        RecordExpr x => AnyField(x.Fields),
        _ => true,
    };

    private static bool Any(Expr[] items)
    {
        foreach (var item in items)
        {
            if (Reads(item))
            {
                return true;
            }
        }
        return false;
    }

    private static bool AnyField(KeyValuePair<string, Expr>[] fields)
    {
        foreach (var field in fields)
        {
            if (Reads(field.Value))
            {
                return true;
            }
        }
        return false;
    }
}

namespace Aztp.Policy.Internal;

/// <summary>Evaluates Cedar expressions for one request against one entity store.</summary>
internal sealed class Evaluator(AuthorizationRequest request, EntityStore store)
{
    private EntityValue? _principal;
    private EntityValue? _action;
    private EntityValue? _resource;

    /// <summary>Scope check with the request entity's ancestors resolved once per request.</summary>
    public static bool ScopeMatches(ScopeConstraint c, EntityUid uid, System.Collections.Frozen.FrozenSet<EntityUid> ancestors)
    {
        switch (c.Op)
        {
            case ScopeOp.Any:
                return true;
            case ScopeOp.Eq:
                return uid.Equals(c.Entity);
            case ScopeOp.In:
                return uid.Equals(c.Entity) || (ancestors.Count > 0 && ancestors.Contains(c.Entity!));
            case ScopeOp.Is:
                return string.Equals(uid.Type, c.EntityType, StringComparison.Ordinal);
            case ScopeOp.IsIn:
                return string.Equals(uid.Type, c.EntityType, StringComparison.Ordinal)
                    && (uid.Equals(c.Entity) || (ancestors.Count > 0 && ancestors.Contains(c.Entity!)));
            default:
                foreach (var e in c.Entities!)
                {
                    if (uid.Equals(e) || (ancestors.Count > 0 && ancestors.Contains(e)))
                    {
                        return true;
                    }
                }
                return false;
        }
    }

    /// <summary>True when every condition holds; throws <see cref="EvaluationException"/> on a runtime error.</summary>
    public bool Conditions(CedarPolicy policy)
    {
        foreach (var c in policy.Conditions)
        {
            var v = Eval(c.Body);
            if (v is not BoolValue b)
            {
                throw EvaluationException.Type("bool", v);
            }
            if (b.V != c.IsWhen)
            {
                return false;
            }
        }
        return true;
    }

    public Value Eval(Expr e)
    {
        switch (e.Kind)
        {
            case ExprKind.Literal:
                return ((LiteralExpr)e).Value;
            case ExprKind.Var:
                return ((VarExpr)e).Var switch
                {
                    VarKind.Principal => _principal ??= new EntityValue(request.Principal),
                    VarKind.Action => _action ??= new EntityValue(request.Action),
                    VarKind.Resource => _resource ??= new EntityValue(request.Resource),
                    _ => request.Context.Record,
                };
            case ExprKind.If:
                {
                    var x = (IfExpr)e;
                    return Bool(Eval(x.Cond)) ? Eval(x.Then) : Eval(x.Else);
                }
            case ExprKind.And:
                {
                    var x = (LogicExpr)e;
                    return BoolValue.Of(Bool(Eval(x.Left)) && Bool(Eval(x.Right)));
                }
            case ExprKind.Or:
                {
                    var x = (LogicExpr)e;
                    return BoolValue.Of(Bool(Eval(x.Left)) || Bool(Eval(x.Right)));
                }
            case ExprKind.Not:
                return BoolValue.Of(!Bool(Eval(((UnaryExpr)e).Operand)));
            case ExprKind.Neg:
                {
                    var v = Long(Eval(((UnaryExpr)e).Operand));
                    if (v == long.MinValue)
                    {
                        throw new EvaluationException($"integer overflow while attempting to negate the value `{v}`");
                    }
                    return LongValue.Of(-v);
                }
            case ExprKind.Binary:
                return EvalBinary((BinaryExpr)e);
            case ExprKind.Has:
                {
                    var x = (AttrExpr)e;
                    var t = Eval(x.Target);
                    return t switch
                    {
                        EntityValue ev => BoolValue.Of(store.TryGet(ev.Uid, out var data) && data.Attrs.ContainsKey(x.Attr)),
                        RecordValue r => BoolValue.Of(r.ContainsKey(x.Attr)),
                        _ => throw EvaluationException.Type("one of [record, entity]", t),
                    };
                }
            case ExprKind.GetAttr:
                {
                    var x = (AttrExpr)e;
                    var t = Eval(x.Target);
                    switch (t)
                    {
                        case EntityValue ev:
                            if (!store.TryGet(ev.Uid, out var data))
                            {
                                throw new EvaluationException($"entity `{ev.Uid}` does not exist");
                            }
                            return data.Attrs.TryGetValue(x.Attr, out var av)
                                ? av
                                : throw new EvaluationException($"`{ev.Uid}` does not have the attribute `{x.Attr}`");
                        case RecordValue r:
                            return r.TryGetValue(x.Attr, out var rv)
                                ? rv
                                : throw new EvaluationException($"record does not have the attribute `{x.Attr}`");
                        default:
                            throw EvaluationException.Type("one of [record, entity]", t);
                    }
                }
            case ExprKind.Like:
                {
                    var x = (LikeExpr)e;
                    var t = Eval(x.Target);
                    return t is StringValue s ? BoolValue.Of(Like(s.V, x.Pattern)) : throw EvaluationException.Type("string", t);
                }
            case ExprKind.Is:
                {
                    var x = (IsExpr)e;
                    var t = Eval(x.Target);
                    if (t is not EntityValue ev)
                    {
                        throw EvaluationException.Type("entity", t);
                    }
                    if (!string.Equals(ev.Uid.Type, x.EntityType, StringComparison.Ordinal))
                    {
                        return BoolValue.False;
                    }
                    return x.In is null ? BoolValue.True : BoolValue.Of(In(ev, Eval(x.In)));
                }
            case ExprKind.ExtCall:
                {
                    var x = (CallExpr)e;
                    return Extensions.Call(x.Name, EvalAll(x.Args));
                }
            case ExprKind.Method:
                return EvalMethod((CallExpr)e);
            case ExprKind.SetLit:
                {
                    var x = (SetExpr)e;
                    var set = new HashSet<Value>(x.Items.Length);
                    foreach (var item in x.Items)
                    {
                        set.Add(Eval(item));
                    }
                    return new SetValue(set);
                }
            case ExprKind.RecordLit:
                {
                    var x = (RecordExpr)e;
                    var d = new Dictionary<string, Value>(x.Fields.Length, StringComparer.Ordinal);
                    foreach (var (k, v) in x.Fields)
                    {
                        d[k] = Eval(v);
                    }
                    return new RecordValue(d);
                }
            default:
                throw new EvaluationException($"unsupported expression {e.Kind}");
        }
    }

    private Value[] EvalAll(Expr[] args)
    {
        var vals = new Value[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            vals[i] = Eval(args[i]);
        }
        return vals;
    }

    private static bool Bool(Value v) => v is BoolValue b ? b.V : throw EvaluationException.Type("bool", v);

    private static long Long(Value v) => v is LongValue l ? l.V : throw EvaluationException.Type("long", v);

    private static SetValue Set(Value v) => v as SetValue ?? throw EvaluationException.Type("set", v);

    private bool In(EntityValue left, Value right)
    {
        switch (right)
        {
            case EntityValue r:
                return store.IsIn(left.Uid, r.Uid);
            case SetValue s:
                {
                    // Every element must be an entity, even after a match is found (as in Cedar).
                    var found = false;
                    foreach (var item in s.Items)
                    {
                        if (item is not EntityValue ie)
                        {
                            throw EvaluationException.Type("entity", item);
                        }
                        found = found || store.IsIn(left.Uid, ie.Uid);
                    }
                    return found;
                }
            default:
                throw EvaluationException.Type("set or entity", right);
        }
    }

    private Value EvalBinary(BinaryExpr x)
    {
        var l = Eval(x.Left);
        var r = Eval(x.Right);
        switch (x.Op)
        {
            case BinOp.Eq:
                return BoolValue.Of(l.Equals(r));
            case BinOp.NotEq:
                return BoolValue.Of(!l.Equals(r));
            case BinOp.Less:
            case BinOp.LessEq:
            case BinOp.Greater:
            case BinOp.GreaterEq:
                {
                    var c = Compare(l, r);
                    return BoolValue.Of(x.Op switch
                    {
                        BinOp.Less => c < 0,
                        BinOp.LessEq => c <= 0,
                        BinOp.Greater => c > 0,
                        _ => c >= 0,
                    });
                }
            case BinOp.In:
                return l is EntityValue ev ? BoolValue.Of(In(ev, r)) : throw EvaluationException.Type("entity", l);
            default:
                {
                    var a = Long(l);
                    var b = Long(r);
                    long result;
                    try
                    {
                        result = x.Op switch
                        {
                            BinOp.Add => checked(a + b),
                            BinOp.Sub => checked(a - b),
                            _ => checked(a * b),
                        };
                    }
                    catch (OverflowException)
                    {
                        throw new EvaluationException($"integer overflow while attempting to {(x.Op == BinOp.Add ? "add" : x.Op == BinOp.Sub ? "subtract" : "multiply")} `{a}` and `{b}`");
                    }
                    return LongValue.Of(result);
                }
        }
    }

    private static int Compare(Value l, Value r) => (l, r) switch
    {
        (LongValue a, LongValue b) => a.V.CompareTo(b.V),
        (DatetimeValue a, DatetimeValue b) => a.Ms.CompareTo(b.Ms),
        (DurationValue a, DurationValue b) => a.Ms.CompareTo(b.Ms),
        (LongValue or DatetimeValue or DurationValue, _) => throw EvaluationException.Type(l.TypeName, r),
        _ => throw EvaluationException.Type("one of [long, datetime, duration]", l),
    };

    private Value EvalMethod(CallExpr x)
    {
        var args = EvalAll(x.Args);
        var recv = args[0];
        switch (x.Name)
        {
            case "contains":
                return BoolValue.Of(Set(recv).Items.Contains(args[1]));
            case "containsAll":
                {
                    var a = Set(recv);
                    var b = Set(args[1]);
                    return BoolValue.Of(b.Items.IsSubsetOf(a.Items));
                }
            case "containsAny":
                {
                    var a = Set(recv);
                    var b = Set(args[1]);
                    return BoolValue.Of(b.Items.Overlaps(a.Items));
                }
            case "isEmpty":
                return BoolValue.Of(Set(recv).Items.Count == 0);
            case "hasTag":
            case "getTag":
                {
                    if (recv is not EntityValue ev)
                    {
                        throw EvaluationException.Type("entity", recv);
                    }
                    if (args[1] is not StringValue key)
                    {
                        throw EvaluationException.Type("string", args[1]);
                    }
                    if (!store.TryGet(ev.Uid, out var data))
                    {
                        return x.Name == "hasTag" ? BoolValue.False : throw new EvaluationException($"entity `{ev.Uid}` does not exist");
                    }
                    if (x.Name == "hasTag")
                    {
                        return BoolValue.Of(data.Tags.ContainsKey(key.V));
                    }
                    return data.Tags.TryGetValue(key.V, out var tag)
                        ? tag
                        : throw new EvaluationException($"`{ev.Uid}` does not have the tag `{key.V}`");
                }
            default:
                return Extensions.Method(x.Name, args);
        }
    }

    /// <summary>Glob match where <c>*</c> matches any sequence of characters (iterative, linear backtracking).</summary>
    internal static bool Like(string s, PatternElem[] p)
    {
        int si = 0, pi = 0, star = -1, mark = 0;
        while (si < s.Length)
        {
            if (pi < p.Length && !p[pi].Wildcard && p[pi].Char == s[si])
            {
                si++;
                pi++;
            }
            else if (pi < p.Length && p[pi].Wildcard)
            {
                star = pi++;
                mark = si;
            }
            else if (star >= 0)
            {
                pi = star + 1;
                si = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (pi < p.Length && p[pi].Wildcard)
        {
            pi++;
        }
        return pi == p.Length;
    }
}

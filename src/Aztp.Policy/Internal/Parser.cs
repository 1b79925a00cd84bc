using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Aztp.Policy.Internal;

/// <summary>
/// Recursive-descent parser for Cedar policies (grammar of the Cedar language reference, "Grammar" section).
/// Produces <see cref="CedarPolicy"/> values whose conditions are <see cref="Expr"/> trees with source spans.
/// </summary>
internal sealed class Parser
{
    internal static readonly FrozenSet<string> ExtensionFunctions =
        new[] { "ip", "decimal", "datetime", "duration" }.ToFrozenSet(StringComparer.Ordinal);

    // Built-in methods have fixed arity checked at parse time; extension methods are checked at evaluation.
    private static readonly FrozenDictionary<string, int> BuiltinMethods = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["contains"] = 1,
        ["containsAll"] = 1,
        ["containsAny"] = 1,
        ["isEmpty"] = 0,
        ["hasTag"] = 1,
        ["getTag"] = 1,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    internal static readonly FrozenSet<string> ExtensionMethods = new[]
    {
        "isIpv4", "isIpv6", "isLoopback", "isMulticast", "isInRange",
        "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual",
        "offset", "durationSince", "toDate", "toTime",
        "toMilliseconds", "toSeconds", "toMinutes", "toHours", "toDays",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> Reserved = new[]
    {
        "true", "false", "if", "then", "else", "in", "is", "like", "has", "__cedar",
    }.ToFrozenSet(StringComparer.Ordinal);

    private readonly string _src;
    private readonly string? _source;
    private readonly List<Token> _toks;
    private int _pos;

    private Parser(string src, string? source)
    {
        _src = src;
        _source = source;
        _toks = Lexer.Tokenize(src, source);
    }

    private Token Cur => _toks[_pos];

    private Token Peek(int n = 1) => _toks[Math.Min(_pos + n, _toks.Count - 1)];

    public static List<CedarPolicy> ParsePolicies(string text, string? idPrefix, string? source, int firstIndex = 0)
    {
        var p = new Parser(text, source);
        var list = new List<CedarPolicy>();
        while (p.Cur.Kind != Tok.Eof)
        {
            var n = firstIndex + list.Count;
            list.Add(p.ParsePolicy((idPrefix ?? string.Empty) + "policy" + n.ToString(CultureInfo.InvariantCulture)));
        }
        return list;
    }

    public static EntityUid ParseEntityUid(string text)
    {
        var p = new Parser(text, null);
        var uid = p.ParseEntityRef();
        p.Expect(Tok.Eof, "end of input");
        return uid;
    }

    public static PolicyParseException Error(string src, string? source, int offset, string message)
    {
        int line = 1, col = 1;
        for (var i = 0; i < offset && i < src.Length; i++)
        {
            if (src[i] == '\n')
            {
                line++;
                col = 1;
            }
            else
            {
                col++;
            }
        }
        return new PolicyParseException(message, line, col, offset, source);
    }

    private PolicyParseException Error(int offset, string message) => Error(_src, _source, offset, message);

    private PolicyParseException Unexpected(string expected)
    {
        var t = Cur;
        return t.Kind == Tok.Eof
            ? Error(t.Start, $"unexpected end of input, expected {expected}")
            : Error(t.Start, $"unexpected token `{t.Text}`, expected {expected}");
    }

    private Token Expect(Tok kind, string what)
    {
        if (Cur.Kind != kind)
        {
            throw Unexpected(what);
        }
        return _toks[_pos++];
    }

    private bool IsIdent(string word) => Cur.Kind == Tok.Ident && Cur.Text == word;

    private void ExpectIdent(string word)
    {
        if (!IsIdent(word))
        {
            throw Unexpected($"`{word}`");
        }
        _pos++;
    }

    private CedarPolicy ParsePolicy(string id)
    {
        var start = Cur.Start;
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        while (Cur.Kind == Tok.At)
        {
            var at = Cur.Start;
            _pos++;
            var name = Expect(Tok.Ident, "annotation name").Text;
            var value = string.Empty;
            if (Cur.Kind == Tok.LParen)
            {
                _pos++;
                var s = Expect(Tok.Str, "string literal");
                value = UnescapeString(s);
                Expect(Tok.RParen, "`)`");
            }
            if (!annotations.TryAdd(name, value))
            {
                throw Error(at, $"duplicate annotation: @{name}");
            }
        }
        PolicyEffect effect;
        if (IsIdent("permit"))
        {
            effect = PolicyEffect.Permit;
        }
        else if (IsIdent("forbid"))
        {
            effect = PolicyEffect.Forbid;
        }
        else
        {
            throw Unexpected(annotations.Count == 0 ? "`permit`, `forbid` or `@`" : "`permit` or `forbid`");
        }
        _pos++;
        Expect(Tok.LParen, "`(`");
        var principal = ParsePrincipalOrResource("principal");
        Expect(Tok.Comma, "`,`");
        var action = ParseAction();
        Expect(Tok.Comma, "`,`");
        var resource = ParsePrincipalOrResource("resource");
        if (Cur.Kind == Tok.Comma && Peek().Kind == Tok.RParen)
        {
            _pos++;
        }
        Expect(Tok.RParen, "`)`");
        var conditions = new List<Condition>();
        while (Cur.Kind == Tok.Ident)
        {
            var kw = Cur;
            bool isWhen;
            if (kw.Text == "when")
            {
                isWhen = true;
            }
            else if (kw.Text == "unless")
            {
                isWhen = false;
            }
            else
            {
                throw Error(kw.Start, $"invalid policy condition: {kw.Text}");
            }
            _pos++;
            Expect(Tok.LBrace, "`{`");
            if (Cur.Kind == Tok.RBrace)
            {
                throw Error(kw.Start, $"`{kw.Text}` condition clause cannot be empty");
            }
            var body = ParseExpr();
            Expect(Tok.RBrace, "`}`");
            conditions.Add(new Condition(isWhen, body));
        }
        var end = Expect(Tok.Semi, "`;` or `when`/`unless`").End;
        var line = 1;
        for (var i = 0; i < start; i++)
        {
            if (_src[i] == '\n')
            {
                line++;
            }
        }
        return new CedarPolicy(id, effect, annotations.ToFrozenDictionary(StringComparer.Ordinal), principal, action, resource,
            conditions.ToArray(), _src[start..end], line);
    }

    private ScopeConstraint ParsePrincipalOrResource(string var)
    {
        ExpectIdent(var);
        if (Cur.Kind == Tok.EqEq)
        {
            _pos++;
            return new ScopeConstraint(ScopeOp.Eq, ParseScopeEntity(), null, null);
        }
        if (IsIdent("is"))
        {
            _pos++;
            var type = ParsePath();
            if (IsIdent("in"))
            {
                _pos++;
                return new ScopeConstraint(ScopeOp.IsIn, ParseScopeEntity(), null, type);
            }
            return new ScopeConstraint(ScopeOp.Is, null, null, type);
        }
        if (IsIdent("in"))
        {
            _pos++;
            return new ScopeConstraint(ScopeOp.In, ParseScopeEntity(), null, null);
        }
        return ScopeConstraint.Any;
    }

    private EntityUid ParseScopeEntity()
    {
        if (Cur.Kind == Tok.Question)
        {
            throw Error(Cur.Start, "template slots are not supported: expected an entity uid");
        }
        if (Cur.Kind == Tok.LBracket)
        {
            throw Error(Cur.Start, "expected single entity uid or template slot, found set of entity uids");
        }
        return ParseEntityRef();
    }

    private ScopeConstraint ParseAction()
    {
        ExpectIdent("action");
        if (Cur.Kind == Tok.EqEq)
        {
            _pos++;
            return new ScopeConstraint(ScopeOp.Eq, ParseActionEntity(), null, null);
        }
        if (IsIdent("in"))
        {
            _pos++;
            if (Cur.Kind == Tok.LBracket)
            {
                _pos++;
                var list = new List<EntityUid>();
                if (Cur.Kind != Tok.RBracket)
                {
                    list.Add(ParseActionEntity());
                    // A trailing comma is allowed, as in Cedar.
                    while (Cur.Kind == Tok.Comma && Peek().Kind != Tok.RBracket)
                    {
                        _pos++;
                        list.Add(ParseActionEntity());
                    }
                    if (Cur.Kind == Tok.Comma)
                    {
                        _pos++;
                    }
                }
                Expect(Tok.RBracket, "`]`");
                return new ScopeConstraint(ScopeOp.InSet, null, list.ToArray(), null);
            }
            return new ScopeConstraint(ScopeOp.In, ParseActionEntity(), null, null);
        }
        if (IsIdent("is"))
        {
            throw Error(Cur.Start, "`is` is not allowed in the action scope");
        }
        return ScopeConstraint.Any;
    }

    private EntityUid ParseActionEntity()
    {
        var start = Cur.Start;
        var uid = ParseScopeEntity();
        if (!IsActionType(uid.Type))
        {
            throw Error(start, $"expected an entity uid with type `Action` but got `{uid}`");
        }
        return uid;
    }

    internal static bool IsActionType(string type) =>
        type == "Action" || type.EndsWith("::Action", StringComparison.Ordinal);

    private string ParsePath()
    {
        var first = Expect(Tok.Ident, "identifier");
        CheckNotReserved(first);
        var sb = new StringBuilder(first.Text);
        while (Cur.Kind == Tok.DoubleColon && Peek().Kind == Tok.Ident)
        {
            _pos++;
            var t = Cur;
            CheckNotReserved(t);
            sb.Append("::").Append(t.Text);
            _pos++;
        }
        return sb.ToString();
    }

    private void CheckNotReserved(Token t)
    {
        if (t.Text.Contains("__cedar", StringComparison.Ordinal))
        {
            throw Error(t.Start, $"The name `{t.Text}` contains `__cedar`, which is reserved");
        }
        if (Reserved.Contains(t.Text))
        {
            throw Error(t.Start, $"this identifier is reserved and cannot be used: {t.Text}");
        }
    }

    private EntityUid ParseEntityRef()
    {
        var type = ParsePath();
        Expect(Tok.DoubleColon, "`::`");
        var id = Expect(Tok.Str, "string literal");
        return new EntityUid(type, UnescapeString(id));
    }

    // ---- expressions ----

    private Expr ParseExpr()
    {
        if (IsIdent("if"))
        {
            var start = Cur.Start;
            _pos++;
            var cond = ParseExpr();
            ExpectIdent("then");
            var then = ParseExpr();
            ExpectIdent("else");
            var @else = ParseExpr();
            return new IfExpr(cond, then, @else, new Span(start, @else.Span.End));
        }
        return ParseOr();
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Cur.Kind == Tok.OrOr)
        {
            _pos++;
            var right = ParseAnd();
            left = new LogicExpr(ExprKind.Or, left, right, new Span(left.Span.Start, right.Span.End));
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseRelation();
        while (Cur.Kind == Tok.AndAnd)
        {
            _pos++;
            var right = ParseRelation();
            left = new LogicExpr(ExprKind.And, left, right, new Span(left.Span.Start, right.Span.End));
        }
        return left;
    }

    private bool AtRelOp() => Cur.Kind is Tok.EqEq or Tok.NotEq or Tok.Less or Tok.LessEq or Tok.Greater or Tok.GreaterEq
        || (Cur.Kind == Tok.Ident && Cur.Text is "in" or "has" or "like" or "is");

    private Expr ParseRelation()
    {
        var left = ParseAdd();
        if (!AtRelOp())
        {
            return left;
        }
        var opTok = Cur;
        _pos++;
        Expr result;
        switch (opTok.Kind)
        {
            case Tok.EqEq: result = Bin(BinOp.Eq, left, ParseAdd()); break;
            case Tok.NotEq: result = Bin(BinOp.NotEq, left, ParseAdd()); break;
            case Tok.Less: result = Bin(BinOp.Less, left, ParseAdd()); break;
            case Tok.LessEq: result = Bin(BinOp.LessEq, left, ParseAdd()); break;
            case Tok.Greater: result = Bin(BinOp.Greater, left, ParseAdd()); break;
            case Tok.GreaterEq: result = Bin(BinOp.GreaterEq, left, ParseAdd()); break;
            default:
                switch (opTok.Text)
                {
                    case "in":
                        result = Bin(BinOp.In, left, ParseAdd());
                        break;
                    case "has":
                        result = ParseHas(left);
                        break;
                    case "like":
                        {
                            var pat = Expect(Tok.Str, "string literal pattern");
                            result = new LikeExpr(left, UnescapePattern(pat), new Span(left.Span.Start, pat.End));
                            break;
                        }
                    default:
                        {
                            var typeStart = Cur.Start;
                            var type = ParsePath();
                            var end = _toks[_pos - 1].End;
                            Expr? inExpr = null;
                            if (IsIdent("in"))
                            {
                                _pos++;
                                inExpr = ParseAdd();
                                end = inExpr.Span.End;
                            }
                            _ = typeStart;
                            result = new IsExpr(left, type, inExpr, new Span(left.Span.Start, end));
                            break;
                        }
                }
                break;
        }
        if (AtRelOp())
        {
            throw Error(left.Span.Start, "multiple relational operators (>, ==, in, etc.) must be used with parentheses to make ordering explicit");
        }
        return result;
    }

    private Expr ParseHas(Expr left)
    {
        if (Cur.Kind == Tok.Str)
        {
            var s = Cur;
            _pos++;
            return new AttrExpr(ExprKind.Has, left, UnescapeString(s), new Span(left.Span.Start, s.End));
        }
        var first = Expect(Tok.Ident, "attribute name");
        CheckNotReserved(first);
        var names = new List<Token> { first };
        while (Cur.Kind == Tok.Dot && Peek().Kind == Tok.Ident)
        {
            _pos++;
            CheckNotReserved(Cur);
            names.Add(Cur);
            _pos++;
        }
        // `e has a.b.c` is sugar for `e has a && e.a has b && e.a.b has c` (Cedar 4).
        Expr access = left;
        Expr? result = null;
        foreach (var n in names)
        {
            var span = new Span(left.Span.Start, n.End);
            var test = new AttrExpr(ExprKind.Has, access, n.Text, span);
            result = result is null ? test : new LogicExpr(ExprKind.And, result, test, span);
            access = new AttrExpr(ExprKind.GetAttr, access, n.Text, span);
        }
        return result!;
    }

    private static BinaryExpr Bin(BinOp op, Expr l, Expr r) => new(op, l, r, new Span(l.Span.Start, r.Span.End));

    private Expr ParseAdd()
    {
        var left = ParseMul();
        while (Cur.Kind is Tok.Plus or Tok.Minus)
        {
            var op = Cur.Kind == Tok.Plus ? BinOp.Add : BinOp.Sub;
            _pos++;
            left = Bin(op, left, ParseMul());
        }
        return left;
    }

    private Expr ParseMul()
    {
        var left = ParseUnary();
        while (Cur.Kind == Tok.Star)
        {
            _pos++;
            left = Bin(BinOp.Mul, left, ParseUnary());
        }
        if (Cur.Kind is Tok.Slash or Tok.Percent)
        {
            throw Error(Cur.Start, $"unsupported operator `{Cur.Text}`");
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (Cur.Kind is not (Tok.Bang or Tok.Minus))
        {
            return ParseMember();
        }
        var start = Cur.Start;
        var opKind = Cur.Kind;
        var count = 0;
        while (Cur.Kind == opKind)
        {
            count++;
            _pos++;
        }
        if (count > 4)
        {
            throw Error(start, $"too many occurrences of `{(opKind == Tok.Bang ? "!" : "-")}`");
        }
        Expr operand;
        if (opKind == Tok.Minus && Cur.Kind == Tok.Int && !IsAccessAfter(_pos + 1))
        {
            // The innermost `-` folds into an integer literal so that i64::MIN is expressible.
            var t = Cur;
            _pos++;
            operand = new LiteralExpr(LongValue.Of(ParseLong(t, negative: true)), new Span(start, t.End));
            count--;
        }
        else
        {
            operand = ParseMember();
        }
        for (var i = 0; i < count; i++)
        {
            operand = new UnaryExpr(opKind == Tok.Bang ? ExprKind.Not : ExprKind.Neg, operand, new Span(start, operand.Span.End));
        }
        return operand;
    }

    private bool IsAccessAfter(int index) => _toks[index].Kind is Tok.Dot or Tok.LBracket;

    private long ParseLong(Token t, bool negative)
    {
        var digits = t.Text;
        if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var u)
            || (negative ? u > 9223372036854775808UL : u > long.MaxValue))
        {
            throw Error(t.Start, $"integer literal `{(negative ? "-" : string.Empty)}{digits}` is too large");
        }
        return negative ? (long)(0UL - u) : (long)u;
    }

    private Expr ParseMember()
    {
        var expr = ParsePrimary();
        while (true)
        {
            if (Cur.Kind == Tok.Dot)
            {
                _pos++;
                var name = Expect(Tok.Ident, "attribute or method name");
                CheckNotReserved(name);
                if (Cur.Kind == Tok.LParen)
                {
                    _pos++;
                    var args = new List<Expr> { expr };
                    ParseArgs(args);
                    var end = Expect(Tok.RParen, "`)`").End;
                    var span = new Span(expr.Span.Start, end);
                    if (BuiltinMethods.TryGetValue(name.Text, out var arity))
                    {
                        if (args.Count - 1 != arity)
                        {
                            throw Error(name.Start, $"call to `{name.Text}` requires exactly {arity} argument{(arity == 1 ? string.Empty : "s")}, but got {args.Count - 1}");
                        }
                    }
                    else if (!ExtensionMethods.Contains(name.Text))
                    {
                        throw Error(name.Start, ExtensionFunctions.Contains(name.Text)
                            ? $"`{name.Text}` is a function, not a method"
                            : $"`{name.Text}` is not a valid method");
                    }
                    expr = new CallExpr(ExprKind.Method, name.Text, args.ToArray(), span);
                }
                else
                {
                    expr = new AttrExpr(ExprKind.GetAttr, expr, name.Text, new Span(expr.Span.Start, name.End));
                }
            }
            else if (Cur.Kind == Tok.LBracket)
            {
                _pos++;
                var key = Expect(Tok.Str, "string literal attribute name");
                var end = Expect(Tok.RBracket, "`]`").End;
                expr = new AttrExpr(ExprKind.GetAttr, expr, UnescapeString(key), new Span(expr.Span.Start, end));
            }
            else
            {
                return expr;
            }
        }
    }

    private void ParseArgs(List<Expr> args)
    {
        if (Cur.Kind == Tok.RParen)
        {
            return;
        }
        args.Add(ParseExpr());
        while (Cur.Kind == Tok.Comma && Peek().Kind != Tok.RParen)
        {
            _pos++;
            args.Add(ParseExpr());
        }
        if (Cur.Kind == Tok.Comma)
        {
            _pos++;
        }
    }

    private Expr ParsePrimary()
    {
        var t = Cur;
        switch (t.Kind)
        {
            case Tok.Int:
                _pos++;
                return new LiteralExpr(LongValue.Of(ParseLong(t, negative: false)), new Span(t.Start, t.End));
            case Tok.Str:
                _pos++;
                return new LiteralExpr(new StringValue(UnescapeString(t)), new Span(t.Start, t.End));
            case Tok.LParen:
                {
                    _pos++;
                    var e = ParseExpr();
                    Expect(Tok.RParen, "`)`");
                    return e;
                }
            case Tok.LBracket:
                {
                    _pos++;
                    var items = new List<Expr>();
                    if (Cur.Kind != Tok.RBracket)
                    {
                        items.Add(ParseExpr());
                        while (Cur.Kind == Tok.Comma && Peek().Kind != Tok.RBracket)
                        {
                            _pos++;
                            items.Add(ParseExpr());
                        }
                        if (Cur.Kind == Tok.Comma)
                        {
                            _pos++;
                        }
                    }
                    var end = Expect(Tok.RBracket, "`]`").End;
                    return new SetExpr(items.ToArray(), new Span(t.Start, end));
                }
            case Tok.LBrace:
                {
                    _pos++;
                    var fields = new List<KeyValuePair<string, Expr>>();
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    if (Cur.Kind != Tok.RBrace)
                    {
                        while (true)
                        {
                            string key;
                            if (Cur.Kind == Tok.Str)
                            {
                                key = UnescapeString(Cur);
                            }
                            else if (Cur.Kind == Tok.Ident)
                            {
                                CheckNotReserved(Cur);
                                key = Cur.Text;
                            }
                            else
                            {
                                throw Unexpected("record key (identifier or string)");
                            }
                            _pos++;
                            Expect(Tok.Colon, "`:`");
                            var v = ParseExpr();
                            if (!seen.Add(key))
                            {
                                throw Error(t.Start, $"duplicate key `{key}` in record literal");
                            }
                            fields.Add(new(key, v));
                            if (Cur.Kind != Tok.Comma)
                            {
                                break;
                            }
                            _pos++;
                            if (Cur.Kind == Tok.RBrace)
                            {
                                break;
                            }
                        }
                    }
                    var end = Expect(Tok.RBrace, "`}`").End;
                    return new RecordExpr(fields.ToArray(), new Span(t.Start, end));
                }
            case Tok.Question:
                throw Error(t.Start, "template slots are not supported in static policies");
            case Tok.Ident:
                return ParseIdentPrimary();
            default:
                throw Unexpected("an expression");
        }
    }

    private Expr ParseIdentPrimary()
    {
        var t = Cur;
        switch (t.Text)
        {
            case "true":
                _pos++;
                return new LiteralExpr(BoolValue.True, new Span(t.Start, t.End));
            case "false":
                _pos++;
                return new LiteralExpr(BoolValue.False, new Span(t.Start, t.End));
            case "principal" when Peek().Kind != Tok.DoubleColon:
                _pos++;
                return new VarExpr(VarKind.Principal, new Span(t.Start, t.End));
            case "action" when Peek().Kind != Tok.DoubleColon:
                _pos++;
                return new VarExpr(VarKind.Action, new Span(t.Start, t.End));
            case "resource" when Peek().Kind != Tok.DoubleColon:
                _pos++;
                return new VarExpr(VarKind.Resource, new Span(t.Start, t.End));
            case "context" when Peek().Kind != Tok.DoubleColon:
                _pos++;
                return new VarExpr(VarKind.Context, new Span(t.Start, t.End));
        }
        if (Peek().Kind == Tok.LParen)
        {
            _pos += 2;
            var args = new List<Expr>();
            ParseArgs(args);
            var end = Expect(Tok.RParen, "`)`").End;
            if (!ExtensionFunctions.Contains(t.Text))
            {
                throw Error(t.Start, BuiltinMethods.ContainsKey(t.Text) || ExtensionMethods.Contains(t.Text)
                    ? $"`{t.Text}` is a method, not a function"
                    : $"`{t.Text}` is not a valid function");
            }
            var span = new Span(t.Start, end);
            if (args.Count == 1 && args[0] is LiteralExpr { Value: StringValue })
            {
                // Constructors with a literal argument are evaluated once here; an invalid literal stays a call so
                // that it errors at evaluation time, as Cedar does.
                try
                {
                    return new LiteralExpr(Extensions.Call(t.Text, [((LiteralExpr)args[0]).Value]), span);
                }
                catch (EvaluationException)
                {
                    // Falls through to a runtime call.
                }
            }
            return new CallExpr(ExprKind.ExtCall, t.Text, args.ToArray(), span);
        }
        if (Peek().Kind != Tok.DoubleColon)
        {
            throw Error(t.Start, Reserved.Contains(t.Text)
                ? $"unexpected keyword `{t.Text}`"
                : $"invalid variable: {t.Text}");
        }
        // Path: either an entity literal Path::"id" or a namespaced function call (not supported by Cedar).
        var type = ParsePath();
        if (Cur.Kind == Tok.DoubleColon && Peek().Kind == Tok.Str)
        {
            _pos++;
            var id = Cur;
            _pos++;
            return new LiteralExpr(new EntityValue(new EntityUid(type, UnescapeString(id))), new Span(t.Start, id.End));
        }
        if (Cur.Kind == Tok.LParen)
        {
            throw Error(t.Start, $"`{type}` is not a valid function");
        }
        throw Unexpected("`::` followed by a string literal entity id");
    }

    // ---- string escapes (Cedar uses Rust's escapes; patterns add `\*`) ----

    private string UnescapeString(Token t)
    {
        var raw = t.Text;
        if (raw.IndexOf('\\', StringComparison.Ordinal) < 0)
        {
            return raw;
        }
        var sb = new StringBuilder(raw.Length);
        Unescape(t, (c, _) => sb.Append(c), allowStar: false);
        return sb.ToString();
    }

    private PatternElem[] UnescapePattern(Token t)
    {
        var list = new List<PatternElem>(t.Text.Length);
        Unescape(t, (c, wildcard) =>
        {
            if (wildcard)
            {
                // Consecutive wildcards are equivalent to one.
                if (list.Count == 0 || !list[^1].Wildcard)
                {
                    list.Add(new PatternElem(true, '*'));
                }
            }
            else
            {
                foreach (var ch in c)
                {
                    list.Add(new PatternElem(false, ch));
                }
            }
        }, allowStar: true);
        return list.ToArray();
    }

    private void Unescape(Token t, Action<string, bool> emit, bool allowStar)
    {
        var raw = t.Text;
        var baseOffset = t.Start + 1;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '*' && allowStar)
            {
                emit("*", true);
                continue;
            }
            if (c != '\\')
            {
                emit(c.ToString(), false);
                continue;
            }
            var escStart = i;
            if (i + 1 >= raw.Length)
            {
                throw Error(baseOffset + escStart, "the input `\\` is not a valid escape");
            }
            var e = raw[++i];
            switch (e)
            {
                case 'n': emit("\n", false); break;
                case 'r': emit("\r", false); break;
                case 't': emit("\t", false); break;
                case '\\': emit("\\", false); break;
                case '0': emit("\0", false); break;
                case '\'': emit("'", false); break;
                case '"': emit("\"", false); break;
                case '*' when allowStar: emit("*", false); break;
                case 'x':
                    {
                        var hex = i + 2 < raw.Length ? raw.Substring(i + 1, 2) : string.Empty;
                        if (hex.Length != 2 || !int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code) || code > 0x7F)
                        {
                            throw Error(baseOffset + escStart, $"the input `\\x{hex}` is not a valid escape");
                        }
                        emit(((char)code).ToString(), false);
                        i += 2;
                        break;
                    }
                case 'u':
                    {
                        if (i + 1 >= raw.Length || raw[i + 1] != '{')
                        {
                            throw Error(baseOffset + escStart, "the input `\\u` is not a valid escape");
                        }
                        var close = raw.IndexOf('}', i + 2);
                        var hex = close < 0 ? string.Empty : raw[(i + 2)..close];
                        if (hex.Length is < 1 or > 6
                            || !int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var cp)
                            || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        {
                            throw Error(baseOffset + escStart, $"the input `\\u{{{hex}}}` is not a valid escape");
                        }
                        emit(char.ConvertFromUtf32(cp), false);
                        i = close;
                        break;
                    }
                default:
                    throw Error(baseOffset + escStart, $"the input `\\{e}` is not a valid escape");
            }
        }
    }
}

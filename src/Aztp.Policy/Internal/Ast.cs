namespace Aztp.Policy.Internal;

/// <summary>A range of the source text, as character offsets.</summary>
internal readonly record struct Span(int Start, int End);

internal enum ExprKind
{
    Literal,
    Var,
    If,
    And,
    Or,
    Not,
    Neg,
    Binary,
    Has,
    GetAttr,
    Like,
    Is,
    ExtCall,
    Method,
    SetLit,
    RecordLit,
}

internal enum VarKind
{
    Principal,
    Action,
    Resource,
    Context,
}

internal enum BinOp
{
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    In,
    Add,
    Sub,
    Mul,
}

/// <summary>Expression node of the Cedar AST. Each node keeps its source span.</summary>
internal abstract class Expr(ExprKind kind, Span span)
{
    public ExprKind Kind { get; } = kind;

    public Span Span { get; } = span;
}

internal sealed class LiteralExpr(Value value, Span span) : Expr(ExprKind.Literal, span)
{
    public Value Value { get; } = value;
}

internal sealed class VarExpr(VarKind var, Span span) : Expr(ExprKind.Var, span)
{
    public VarKind Var { get; } = var;
}

internal sealed class IfExpr(Expr cond, Expr then, Expr @else, Span span) : Expr(ExprKind.If, span)
{
    public Expr Cond { get; } = cond;

    public Expr Then { get; } = then;

    public Expr Else { get; } = @else;
}

internal sealed class LogicExpr(ExprKind kind, Expr left, Expr right, Span span) : Expr(kind, span)
{
    public Expr Left { get; } = left;

    public Expr Right { get; } = right;
}

internal sealed class UnaryExpr(ExprKind kind, Expr operand, Span span) : Expr(kind, span)
{
    public Expr Operand { get; } = operand;
}

internal sealed class BinaryExpr(BinOp op, Expr left, Expr right, Span span) : Expr(ExprKind.Binary, span)
{
    public BinOp Op { get; } = op;

    public Expr Left { get; } = left;

    public Expr Right { get; } = right;
}

internal sealed class AttrExpr(ExprKind kind, Expr target, string attr, Span span) : Expr(kind, span)
{
    public Expr Target { get; } = target;

    public string Attr { get; } = attr;
}

/// <summary>A <c>like</c> pattern: literal chunks separated by wildcards.</summary>
internal sealed class LikeExpr(Expr target, PatternElem[] pattern, Span span) : Expr(ExprKind.Like, span)
{
    public Expr Target { get; } = target;

    public PatternElem[] Pattern { get; } = pattern;
}

/// <summary>One pattern element: a literal character, or a wildcard when <see cref="Wildcard"/> is true.</summary>
internal readonly record struct PatternElem(bool Wildcard, char Char);

internal sealed class IsExpr(Expr target, string type, Expr? inExpr, Span span) : Expr(ExprKind.Is, span)
{
    public Expr Target { get; } = target;

    public string EntityType { get; } = type;

    public Expr? In { get; } = inExpr;
}

internal sealed class CallExpr(ExprKind kind, string name, Expr[] args, Span span) : Expr(kind, span)
{
    public string Name { get; } = name;

    /// <summary>For methods, <c>Args[0]</c> is the receiver.</summary>
    public Expr[] Args { get; } = args;
}

internal sealed class SetExpr(Expr[] items, Span span) : Expr(ExprKind.SetLit, span)
{
    public Expr[] Items { get; } = items;
}

internal sealed class RecordExpr(KeyValuePair<string, Expr>[] fields, Span span) : Expr(ExprKind.RecordLit, span)
{
    public KeyValuePair<string, Expr>[] Fields { get; } = fields;
}

internal enum ScopeOp
{
    Any,
    Eq,
    In,
    InSet,
    Is,
    IsIn,
}

/// <summary>A scope constraint on principal, action or resource.</summary>
internal sealed class ScopeConstraint(ScopeOp op, EntityUid? entity, EntityUid[]? entities, string? type)
{
    public static readonly ScopeConstraint Any = new(ScopeOp.Any, null, null, null);

    public ScopeOp Op { get; } = op;

    public EntityUid? Entity { get; } = entity;

    public EntityUid[]? Entities { get; } = entities;

    public string? EntityType { get; } = type;
}

/// <summary>A when or unless clause.</summary>
internal readonly record struct Condition(bool IsWhen, Expr Body);

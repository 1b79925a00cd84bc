namespace Aztp.Policy.Internal;

internal enum Tok
{
    Eof,
    Ident,
    Int,
    Str,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Colon,
    DoubleColon,
    Dot,
    At,
    Question,
    EqEq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    AndAnd,
    OrOr,
    Bang,
    Minus,
    Plus,
    Star,
    Slash,
    Percent,
    Assign,
}

/// <summary>One token; for strings <see cref="Text"/> is the raw (still escaped) body between the quotes.</summary>
internal readonly record struct Token(Tok Kind, int Start, int End, string Text);

/// <summary>Cedar tokenizer: identifiers, integer and string literals, punctuation, <c>//</c> comments.</summary>
internal static class Lexer
{
    public static List<Token> Tokenize(string src, string? source)
    {
        var tokens = new List<Token>(src.Length / 3);
        var i = 0;
        while (true)
        {
            // Skip whitespace and line comments.
            while (i < src.Length)
            {
                var c = src[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '/' && i + 1 < src.Length && src[i + 1] == '/')
                {
                    while (i < src.Length && src[i] != '\n')
                    {
                        i++;
                    }
                }
                else
                {
                    break;
                }
            }
            if (i >= src.Length)
            {
                tokens.Add(new Token(Tok.Eof, src.Length, src.Length, string.Empty));
                return tokens;
            }
            var start = i;
            var ch = src[i];
            if (ch == '_' || char.IsAsciiLetter(ch))
            {
                i++;
                while (i < src.Length && (src[i] == '_' || char.IsAsciiLetterOrDigit(src[i])))
                {
                    i++;
                }
                tokens.Add(new Token(Tok.Ident, start, i, src[start..i]));
                continue;
            }
            if (char.IsAsciiDigit(ch))
            {
                i++;
                while (i < src.Length && char.IsAsciiDigit(src[i]))
                {
                    i++;
                }
                tokens.Add(new Token(Tok.Int, start, i, src[start..i]));
                continue;
            }
            if (ch == '"')
            {
                i++;
                while (true)
                {
                    if (i >= src.Length)
                    {
                        throw Parser.Error(src, source, start, "unterminated string literal");
                    }
                    if (src[i] == '\\')
                    {
                        i += 2;
                        continue;
                    }
                    if (src[i] == '"')
                    {
                        break;
                    }
                    i++;
                }
                tokens.Add(new Token(Tok.Str, start, i + 1, src[(start + 1)..i]));
                i++;
                continue;
            }
            var next = i + 1 < src.Length ? src[i + 1] : '\0';
            Tok kind;
            var len = 1;
            switch (ch)
            {
                case '(': kind = Tok.LParen; break;
                case ')': kind = Tok.RParen; break;
                case '[': kind = Tok.LBracket; break;
                case ']': kind = Tok.RBracket; break;
                case '{': kind = Tok.LBrace; break;
                case '}': kind = Tok.RBrace; break;
                case ',': kind = Tok.Comma; break;
                case ';': kind = Tok.Semi; break;
                case '.': kind = Tok.Dot; break;
                case '@': kind = Tok.At; break;
                case '?': kind = Tok.Question; break;
                case '+': kind = Tok.Plus; break;
                case '-': kind = Tok.Minus; break;
                case '*': kind = Tok.Star; break;
                case '/': kind = Tok.Slash; break;
                case '%': kind = Tok.Percent; break;
                case ':':
                    (kind, len) = next == ':' ? (Tok.DoubleColon, 2) : (Tok.Colon, 1);
                    break;
                case '=':
                    (kind, len) = next == '=' ? (Tok.EqEq, 2) : (Tok.Assign, 1);
                    break;
                case '!':
                    (kind, len) = next == '=' ? (Tok.NotEq, 2) : (Tok.Bang, 1);
                    break;
                case '<':
                    (kind, len) = next == '=' ? (Tok.LessEq, 2) : (Tok.Less, 1);
                    break;
                case '>':
                    (kind, len) = next == '=' ? (Tok.GreaterEq, 2) : (Tok.Greater, 1);
                    break;
                case '&':
                    if (next != '&')
                    {
                        throw Parser.Error(src, source, i, "unexpected character `&` (did you mean `&&`?)");
                    }
                    (kind, len) = (Tok.AndAnd, 2);
                    break;
                case '|':
                    if (next != '|')
                    {
                        throw Parser.Error(src, source, i, "unexpected character `|` (did you mean `||`?)");
                    }
                    (kind, len) = (Tok.OrOr, 2);
                    break;
                default:
                    throw Parser.Error(src, source, i, $"unexpected character `{ch}`");
            }
            i += len;
            tokens.Add(new Token(kind, start, i, src[start..i]));
        }
    }
}

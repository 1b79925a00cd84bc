namespace Aztp.Core;

/// <summary>How urgent an event is; written in JSON in lower case. See docs/events.md for the rule that assigns it.</summary>
public enum EventSeverity
{
    /// <summary>Normal operation: a success.</summary>
    Info,

    /// <summary>Something was refused or failed because of the peer or the input: a denial or failed verification.</summary>
    Warning,

    /// <summary>An internal fault of this agent or of Aztp.</summary>
    Error,

    /// <summary>The agent can no longer operate securely (for example, its own identity has expired with no replacement).</summary>
    Critical,
}

namespace Aztp.Core;

/// <summary>What happened to the attempted action; written in JSON in lower case.</summary>
public enum EventOutcome
{
    /// <summary>The action succeeded.</summary>
    Success,

    /// <summary>The action failed because of the peer or the input (for example, an invalid certificate).</summary>
    Failure,

    /// <summary>Policy refused the action.</summary>
    Denied,

    /// <summary>The action could not complete because of an internal fault.</summary>
    Error,
}

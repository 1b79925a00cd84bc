namespace Aztp.Core;

/// <summary>The <c>data.action</c> values Aztp emits, by event type. docs/events.md describes each.</summary>
public static class EventActions
{
    /// <summary>identity: a peer's SVID was verified against the trust bundle.</summary>
    public const string Verified = "verified";

    /// <summary>identity: a peer's SVID (or JWT-SVID) was rejected; <c>reason</c> says why.</summary>
    public const string Failed = "failed";

    /// <summary>identity: this agent's identity is ready.</summary>
    public const string SetupComplete = "setup_complete";

    /// <summary>identity: this agent's SVID or the trust bundle was replaced.</summary>
    public const string Rotated = "rotated";

    /// <summary>identity: this agent's SVID is close to expiry.</summary>
    public const string Expiring = "expiring";

    /// <summary>identity: this agent's SVID has expired with no replacement.</summary>
    public const string Expired = "expired";

    /// <summary>policy: a call was authorized or refused.</summary>
    public const string Evaluated = "evaluated";

    /// <summary>policy: a policy set became active.</summary>
    public const string Loaded = "loaded";

    /// <summary>policy: a new policy set was rejected; the last good set stays active.</summary>
    public const string ReloadFailed = "reload_failed";

    /// <summary>rpc (client): a call was started.</summary>
    public const string RequestSent = "request_sent";

    /// <summary>rpc (client): a call completed with status OK.</summary>
    public const string ResponseReceived = "response_received";

    /// <summary>rpc (server): a call arrived.</summary>
    public const string RequestReceived = "request_received";

    /// <summary>rpc (server): a call completed with status OK.</summary>
    public const string ResponseSent = "response_sent";

    /// <summary>rpc: a call ended with a non-OK status or a transport error.</summary>
    public const string RpcFailed = "failed";

    /// <summary>rpc (server): policy refused a call; the handler never ran.</summary>
    public const string Denied = "denied";

    /// <summary>monitoring: a handler threw.</summary>
    public const string HandlerFailed = "handler_failed";

    /// <summary>monitoring: a handler ran past its timeout.</summary>
    public const string HandlerTimeout = "handler_timeout";

    /// <summary>monitoring: the event queue was full and producers had to wait.</summary>
    public const string Backpressure = "backpressure";

    /// <summary>system: the agent started.</summary>
    public const string Started = "started";

    /// <summary>system: the agent stopped.</summary>
    public const string Stopped = "stopped";

    /// <summary>system: configuration was reloaded.</summary>
    public const string ConfigReloaded = "config_reloaded";
}

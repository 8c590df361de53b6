namespace LiveCommerce.Contracts.Common;

/// <summary>What kind of failure a domain error is; the front door maps it to an HTTP status.</summary>
public enum ErrorKind
{
    /// <summary>The request is malformed or breaks a rule of the domain (400).</summary>
    Validation = 0,
    /// <summary>Something the request names does not exist (404).</summary>
    NotFound = 1,
    /// <summary>The request is valid but conflicts with the current state (409).</summary>
    Conflict = 2,
    /// <summary>The caller may not act on this resource (403).</summary>
    Forbidden = 3,
}

/// <summary>
/// A business rule refused a request. Grains throw it before changing any state, so a caller that
/// receives it knows nothing was changed.
/// </summary>
[GenerateSerializer]
public sealed class DomainException : Exception
{
    public DomainException(ErrorKind kind, string code, string message, string? field = null, string? currentState = null)
        : base(message)
    {
        Kind = kind;
        Code = code;
        Field = field;
        CurrentState = currentState;
    }

    /// <summary>Category of the failure.</summary>
    [Id(0)] public ErrorKind Kind { get; init; }

    /// <summary>Stable machine-readable code, e.g. <c>order.illegal_transition</c>.</summary>
    [Id(1)] public string Code { get; init; }

    /// <summary>The request field at fault, when there is one.</summary>
    [Id(2)] public string? Field { get; init; }

    /// <summary>For conflicts on a state machine: the state the resource is in now.</summary>
    [Id(3)] public string? CurrentState { get; init; }

    public static DomainException Invalid(string field, string message) =>
        new(ErrorKind.Validation, "validation", message, field);

    public static DomainException NotFound(string what, string id) =>
        new(ErrorKind.NotFound, $"{what}.not_found", $"{what} '{id}' does not exist.");

    public static DomainException Conflict(string code, string message, string? currentState = null) =>
        new(ErrorKind.Conflict, code, message, currentState: currentState);

    public static DomainException Forbidden(string message) =>
        new(ErrorKind.Forbidden, "forbidden", message);
}

namespace LiveCommerce.Contracts.Common;

/// <summary>
/// Rules for the identifiers that name grains (streamers, rooms, buyers, orders, accounts...).
/// Ids are grain keys and storage keys, so they are short, printable and unambiguous.
/// </summary>
public static class Ids
{
    public const int MaxLength = 64;

    /// <summary>Returns an error message when <paramref name="value"/> is not a valid id, otherwise null.</summary>
    public static string? Problem(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "must not be empty";
        if (value.Length > MaxLength) return $"must be at most {MaxLength} characters";
        foreach (var c in value)
        {
            var ok = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_' or '.' or ':';
            if (!ok) return "may contain only letters, digits and - _ . :";
        }
        return null;
    }

    public static bool IsValid(string? value) => Problem(value) is null;

    /// <summary>Throws a validation <see cref="DomainException"/> naming <paramref name="field"/> when the id is invalid.</summary>
    public static string Require(string? value, string field)
    {
        var problem = Problem(value);
        if (problem is not null) throw DomainException.Invalid(field, $"{field} {problem}.");
        return value!;
    }
}

/// <summary>Rules for free text fields (names, titles, comments): bounded and free of control characters.</summary>
public static class Text
{
    public static string? Problem(string? value, int maxLength, bool required = true)
    {
        if (string.IsNullOrWhiteSpace(value)) return required ? "must not be empty" : null;
        if (value.Length > maxLength) return $"must be at most {maxLength} characters";
        foreach (var c in value)
            if (char.IsControl(c)) return "must not contain control characters";
        return null;
    }

    public static string Require(string? value, string field, int maxLength)
    {
        var problem = Problem(value, maxLength);
        if (problem is not null) throw DomainException.Invalid(field, $"{field} {problem}.");
        return value!.Trim();
    }
}

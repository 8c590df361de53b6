using Orleans.Core;

namespace LiveCommerce.Grains.Common;

/// <summary>
/// A persisted, ordinally sorted list of ids used as a per-owner index (a merchant's offers, a merchant's products):
/// registering is idempotent, pages are stable by id.
/// </summary>
public static class SortedIds
{
    /// <summary>Inserts <paramref name="id"/> in order; false when it is already there.</summary>
    public static bool Insert(List<string> ids, string id)
    {
        var at = ids.BinarySearch(id, StringComparer.Ordinal);
        if (at >= 0) return false;
        ids.Insert(~at, id);
        return true;
    }

    /// <summary>A copy of one page (registrations may interleave with the reads a caller makes for it).</summary>
    public static List<string> Page(List<string> ids, int offset, int limit)
    {
        if (offset < 0) throw DomainException.Invalid("offset", "offset must not be negative.");
        if (limit is < 1 or > 100) throw DomainException.Invalid("limit", "limit must be between 1 and 100.");
        return ids.Skip(offset).Take(limit).ToList();
    }

    /// <summary>Writes after an insert; on failure memory may hold what no write persisted, so the activation reloads.</summary>
    public static async Task WriteOrReloadAsync(IGrainBase grain, IStorage state)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            grain.DeactivateOnIdle();
            throw;
        }
    }
}

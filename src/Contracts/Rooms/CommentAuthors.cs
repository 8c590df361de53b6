using System.Security.Cryptography;
using System.Text;

namespace LiveCommerce.Contracts.Rooms;

/// <summary>
/// Who wrote a comment, as viewers see it: a per-room pseudonym, never the buyer id. Stable within a room (a viewer can
/// tell two commenters apart, and a ban's removal names the same handle), different in every room (a handle does not
/// follow a buyer from room to room). The room's streamer and admins moderate with the real id.
/// </summary>
public static class CommentAuthors
{
    public static string Handle(string roomId, string viewerId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(roomId + "\n" + viewerId));
        return "viewer-" + Convert.ToHexString(hash, 0, 3).ToLowerInvariant();
    }

    /// <summary>The room as a viewer may see it: recent comments under their handles.</summary>
    public static RoomView ForViewers(RoomView view) =>
        view with { RecentComments = view.RecentComments.Select(c => c with { ViewerId = Handle(view.RoomId, c.ViewerId) }).ToList() };
}

using Microsoft.AspNetCore.Http.Features;

namespace LiveCommerce.Api.Infrastructure;

/// <summary>What the anonymous, signed provider callbacks (payments, logistics) share.</summary>
public static class SignedCallbacks
{
    /// <summary>
    /// Reads the body only up to <paramref name="maxBytes"/>: null when it is longer (by its Content-Length, or once one
    /// byte more has arrived), so an anonymous caller cannot make the front door buffer megabytes.
    /// </summary>
    public static async Task<byte[]?> ReadBoundedAsync(HttpContext http, int maxBytes)
    {
        if (http.Request.ContentLength > maxBytes) return null;
        var limit = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (limit is { IsReadOnly: false }) limit.MaxRequestBodySize = maxBytes + 1;
        var buffer = new byte[maxBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await http.Request.Body.ReadAsync(buffer.AsMemory(read), http.RequestAborted)) > 0) read += n;
        return read > maxBytes ? null : buffer[..read];
    }
}

namespace PathoFed.Heatmaps.Viewer;

/// <summary>
/// Refuses request targets that try to climb out of a folder before routing sees them: dot segments (also
/// percent-encoded), backslashes, encoded slashes, empty segments (<c>//etc</c>) and NUL. Kestrel would normalise some
/// of these away; refusing the raw target outright makes traversal attempts a plain 400 whatever the route.
/// </summary>
internal static class RequestGuard
{
    public static bool IsSuspicious(string rawTarget)
    {
        int query = rawTarget.IndexOf('?');
        string path = query >= 0 ? rawTarget[..query] : rawTarget;
        if (path.Contains("%2f", StringComparison.OrdinalIgnoreCase) || path.Contains("%5c", StringComparison.OrdinalIgnoreCase)) return true;
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(path);
        }
        catch (UriFormatException)
        {
            return true;
        }
        if (decoded.Contains('\\') || decoded.Contains('\0') || decoded.Contains("//", StringComparison.Ordinal)) return true;
        foreach (string segment in decoded.Split('/'))
        {
            if (segment is "." or "..") return true;
        }
        return false;
    }
}

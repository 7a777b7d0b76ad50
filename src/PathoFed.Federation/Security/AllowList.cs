namespace PathoFed.Federation.Security;

/// <summary>
/// The site names the coordinator admits. A certificate signed by the federation CA is not enough on its own: a site
/// removed from the study is dropped here without reissuing every other certificate (there is no CRL yet).
/// </summary>
/// <remarks>
/// File format (<c>sites.txt</c>): one site name per line; blank lines and text after <c>#</c> are ignored;
/// surrounding spaces are trimmed; a name listed twice counts once.
/// </remarks>
public sealed class AllowList
{
    /// <summary>The customary file name of the allow-list in the coordinator's folder.</summary>
    public const string DefaultFileName = "sites.txt";

    private readonly HashSet<string> _names;

    private AllowList(HashSet<string> names, string source)
    {
        _names = names;
        Source = source;
    }

    /// <summary>Where the names came from (the file path), for messages such as "not on the allow-list (sites.txt)".</summary>
    public string Source { get; }

    /// <summary>The admitted site names, sorted.</summary>
    public IReadOnlyList<string> Names => [.. _names.Order(StringComparer.Ordinal)];

    /// <summary>Whether <paramref name="siteName"/> is admitted; exact, case-sensitive comparison.</summary>
    public bool Contains(string siteName) => _names.Contains(siteName);

    /// <summary>Reads an allow-list file.</summary>
    /// <exception cref="CertificateException">The file is missing, or a line is not a valid site name (the message gives the line).</exception>
    public static AllowList Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CertificateException($"Cannot read the allow-list {path}: {e.Message}", e);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int comment = line.IndexOf('#');
            string name = (comment >= 0 ? line[..comment] : line).Trim();
            if (name.Length == 0)
                continue;
            if (!FederationNames.IsValidSiteName(name))
                throw new CertificateException($"Allow-list {path}, line {i + 1}: '{name}' is not a valid site name ({FederationNames.SiteNameRule}).");
            names.Add(name);
        }
        return new AllowList(names, path);
    }

    /// <summary>An allow-list from names in memory (tests, or a list built by the caller).</summary>
    /// <exception cref="CertificateException">A name is not a valid site name.</exception>
    public static AllowList FromNames(IEnumerable<string> siteNames, string source = "in-memory allow-list")
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in siteNames)
        {
            if (!FederationNames.IsValidSiteName(name))
                throw new CertificateException($"'{name}' in {source} is not a valid site name ({FederationNames.SiteNameRule}).");
            names.Add(name);
        }
        return new AllowList(names, source);
    }

    /// <summary>Writes the allow-list to <paramref name="path"/> atomically, one name per line, sorted.</summary>
    public void Write(string path) =>
        AtomicFile.WriteAllText(path, "# Sites the PathoFed coordinator admits: one site name per line.\n" + string.Concat(Names.Select(name => name + "\n")));
}

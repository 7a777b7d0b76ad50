using System.CommandLine;
using System.Globalization;
using PathoFed.Federation;
using PathoFed.Federation.Security;

namespace PathoFed.Cli.Commands.Fed;

/// <summary><c>pathofed fed ca init|issue</c>: the federation's certificate authority and the certificates it issues.</summary>
internal static class FedCaCommand
{
    public static Command Create(CliConsole console)
    {
        var ca = new Command("ca", "The federation's certificate authority: mutual TLS identities for the coordinator and every site.");
        ca.Add(Init(console));
        ca.Add(Issue(console));
        return ca;
    }

    private static Command Init(CliConsole console)
    {
        var folder = new Option<string>("--out", "-o") { Description = "Folder for ca.pem (give to every site) and ca-key.pem (keep secret).", Required = true };
        var name = new Option<string>("--name") { Description = "The CA's name.", DefaultValueFactory = _ => "PathoFed federation CA" };
        var days = new Option<int>("--days") { Description = "Validity in days.", DefaultValueFactory = _ => 3650 };
        var command = new Command("init", "Create the federation's certificate authority (ECDSA P-384); refuses to overwrite one.") { folder, name, days };
        command.SetAction(parse => Guard(console, () =>
        {
            FederationCaFiles files = FederationCa.Init(parse.GetValue(folder)!, parse.GetValue(name)!, TimeSpan.FromDays(parse.GetValue(days)));
            console.Out.WriteLine($"CA created: certificate {files.CertificatePath} (sha256 {files.Thumbprint}); private key {files.KeyPath} (mode 0600, keep it off the network).");
        }));
        return command;
    }

    private static Command Issue(CliConsole console)
    {
        var caFolder = new Option<string>("--ca") { Description = "The CA folder from 'fed ca init'.", Required = true };
        var site = new Option<string>("--site") { Description = "Site name (lowercase letters, digits, '-'), or the coordinator's host name with --coordinator.", Required = true };
        var folder = new Option<string>("--out", "-o") { Description = "Folder for NAME.pfx (certificate and key, mode 0600) and NAME.pem.", Required = true };
        var coordinator = new Option<bool>("--coordinator") { Description = "Issue the coordinator's server certificate (serverAuth; localhost and loopback included)." };
        var dns = new Option<string[]>("--dns") { Description = "Extra DNS names for the certificate.", AllowMultipleArgumentsPerToken = true };
        var days = new Option<int>("--days") { Description = "Validity in days.", DefaultValueFactory = _ => 365 };
        var command = new Command("issue", "Issue a site's (or the coordinator's) certificate signed by the federation CA.") { caFolder, site, folder, coordinator, dns, days };
        command.SetAction(parse => Guard(console, () =>
        {
            var options = new LeafCertificateOptions { ExtraDnsNames = parse.GetValue(dns) ?? [] };
            FederationRole role = parse.GetValue(coordinator) ? FederationRole.Coordinator : FederationRole.Site;
            IssuedCertificateFiles files = FederationCa.Issue(parse.GetValue(caFolder)!, parse.GetValue(site)!, parse.GetValue(folder)!,
                TimeSpan.FromDays(parse.GetValue(days)), role, options);
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Issued {role.ToString().ToLowerInvariant()} certificate {files.PfxPath} (sha256 {files.Thumbprint}, valid until {files.NotAfterUtc:yyyy-MM-dd})."));
        }));
        return command;
    }

    /// <summary>Our own errors are one line and exit code 2; anything else is a bug and propagates.</summary>
    internal static int Guard(CliConsole console, Action body)
    {
        try
        {
            body();
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is PathoFedException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
    }
}

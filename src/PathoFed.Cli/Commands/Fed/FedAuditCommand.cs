using System.CommandLine;
using PathoFed.Federation.Audit;

namespace PathoFed.Cli.Commands.Fed;

/// <summary><c>pathofed fed audit verify LOG</c>: checks a hash-chained audit log for edited, removed, inserted or reordered entries.</summary>
internal static class FedAuditCommand
{
    public const int Tampered = 3;

    public static Command Create(CliConsole console)
    {
        var log = new Argument<string>("log") { Description = "An audit log (JSON lines) of the coordinator or a site." };
        var anchor = new Option<string?>("--anchor") { Description = "SEQ:HASH recorded earlier (e.g. in a checkpoint): also detects entries cut from the end." };
        var verify = new Command("verify", $"Verify the hash chain. Exit code 0 when intact, {Tampered} when tampered with, 2 when unreadable.") { log, anchor };
        verify.SetAction(parse =>
        {
            AuditVerification result = null!;
            int code = FedCaCommand.Guard(console, () =>
                result = AuditVerifier.Verify(parse.GetValue(log)!, parse.GetValue(anchor) is { } a ? AuditAnchor.Parse(a) : null));
            if (code != ExitCodes.Ok) return code;
            if (result.IsValid)
            {
                console.Out.WriteLine($"OK: {result.VerifiedEntries} entries, chain intact; head {result.Head}");
                return ExitCodes.Ok;
            }
            console.Error.WriteLine($"TAMPERED ({result.Problem}) at line {result.FirstBadLine}: {result.Reason}");
            return Tampered;
        });
        var audit = new Command("audit", "The audit trail of a coordinator or site.");
        audit.Add(verify);
        return audit;
    }
}

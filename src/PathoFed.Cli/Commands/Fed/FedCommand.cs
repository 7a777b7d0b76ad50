using System.CommandLine;

namespace PathoFed.Cli.Commands.Fed;

/// <summary><c>pathofed fed</c>: federated training across sites.</summary>
internal static class FedCommand
{
    public static Command Create(CliConsole console)
    {
        var fed = new Command("fed", "Federated training of MIL heads: certificate authority, coordinator, site agents, audit trail.");
        fed.Add(FedCaCommand.Create(console));
        fed.Add(FedAuditCommand.Create(console));
        fed.Add(FedServeCommand.Create(console));
        fed.Add(FedJoinCommand.Create(console));
        fed.Add(FedSimulateCommand.Create(console));
        return fed;
    }
}

namespace PathoFed.Cli.Tests;

/// <summary>
/// Tests that start a coordinator and site processes with round deadlines and kill timings: they run alone, after the
/// other tests, so that four processes contending with parallel tests on a 2-core machine cannot miss a deadline.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FederationProcessesCollection
{
    public const string Name = "federation processes";
}

namespace PathoFed.Cli;

/// <summary>Process exit codes shared by every verb.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The job ran, but at least one slide failed (listed in errors.csv).</summary>
    public const int SomeFailed = 1;

    /// <summary>Bad command line or unusable inputs: nothing was processed.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted (Ctrl+C); completed slides are kept and a re-run resumes.</summary>
    public const int Cancelled = 130;
}

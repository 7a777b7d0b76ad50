using Microsoft.Extensions.Logging;

namespace PathoFed.Cli.Terminal;

/// <summary>Library log lines (device choice, fallbacks) on the error stream, one plain line each: "warning: ...".</summary>
internal sealed class ConsoleLogger(CliConsole console, LogLevel minimum = LogLevel.Information) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        string prefix = logLevel switch
        {
            >= LogLevel.Error => "error: ",
            LogLevel.Warning => "warning: ",
            _ => "",
        };
        lock (console.Error) console.Error.WriteLine(prefix + formatter(state, exception));
    }
}

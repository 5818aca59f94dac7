using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Inroad.Testing.Logging;

/// <summary>
/// Loggers that write to the running test's output (shown with a failed test), with the time since the factory
/// was made, so a failure in a many-role test comes with the story of what every role did.
/// </summary>
public sealed class TestOutputLoggerFactory : ILoggerFactory
{
    private readonly ITestOutputHelper? _output;
    private readonly LogLevel _minimum;
    private readonly long _started = Stopwatch.GetTimestamp();

    /// <summary>Writes to the current test's output at <paramref name="minimum"/> and above.</summary>
    public TestOutputLoggerFactory(LogLevel minimum = LogLevel.Debug)
    {
        _output = TestContext.Current.TestOutputHelper;
        _minimum = minimum;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        if (_output is null)
        {
            return;
        }

        double seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        string line = $"{seconds,8:F3} {level,-11} {category}: {message}" + (exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]");
        try
        {
            _output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test has ended; roles still shutting down have no one to tell.
        }
    }

    private sealed class Logger(TestOutputLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= factory._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                factory.Write(category, logLevel, formatter(state, exception), exception);
            }
        }
    }
}

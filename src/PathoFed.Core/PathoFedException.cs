namespace PathoFed;

/// <summary>Base of every error PathoFed raises on purpose: the message names the input, the cause and, when there is one, the fix.</summary>
public abstract class PathoFedException : Exception
{
    protected PathoFedException(string message, Exception? inner = null) : base(message, inner) { }
}

namespace StreamLstm.Tests.Support;

/// <summary>Runs the <c>streamlstm</c> command line in-process, with what it writes captured (also compiled into the integration tests).</summary>
internal static class VerbRunner
{
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (oldOut, oldError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            return (StreamLstm.Worker.Verbs.CommandLine.Run(args), output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }
}

using PathoFed.Cli;

return await PathofedCli.InvokeAsync(args, CliConsole.System);

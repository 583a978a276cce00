using Rex.Cli;

return await RexCommand.Create().Parse(args).InvokeAsync();

using Coffer.Cli.Commands;

return await CofferCli.RunAsync(args).ConfigureAwait(false);

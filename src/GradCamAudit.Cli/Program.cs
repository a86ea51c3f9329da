using GradCamAudit.Cli;

return await Commands.Build().ParseAndRunAsync(args).ConfigureAwait(false);

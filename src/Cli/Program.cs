using Rex.Cli;
using Rex.Model.Tensors;

HostMemory.KeepFreedTensors();
return await RexCommand.Create().Parse(args).InvokeAsync();

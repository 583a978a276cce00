using Rex.Cli;
using Rex.Model.Tensors;

TorchThreads.WaitPassively();
HostMemory.KeepFreedTensors();
return await RexCommand.Create().Parse(args).InvokeAsync();

// TorchSharp's seed and thread pool are process-wide, and the memory test reads the process's resident size:
// tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

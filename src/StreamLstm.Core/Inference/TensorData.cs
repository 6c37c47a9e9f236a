using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace StreamLstm.Inference;

/// <summary>Reads a contiguous float32 CPU tensor's storage as a span, without the element-wise accessor.</summary>
internal static class TensorData
{
    public static ReadOnlySpan<float> Floats(Tensor tensor)
    {
        if (tensor.dtype != ScalarType.Float32 || !tensor.is_contiguous() || tensor.device_type != DeviceType.CPU)
            throw new ArgumentException("expected a contiguous float32 CPU tensor", nameof(tensor));
        return MemoryMarshal.Cast<byte, float>(tensor.bytes);
    }
}

namespace StreamLstm.Model;

/// <summary>
/// A version's <c>weights.bin</c> in chunks small enough for one Kafka record each (the default limit of a record is
/// about 1 MB), and back: reassembled in order, refused naming the first missing chunk. The whole is then checked
/// against the size and SHA-256 its metadata records.
/// </summary>
internal static class ModelChunks
{
    /// <summary>
    /// <paramref name="bytes"/> in chunks of <paramref name="chunkBytes"/> (the last one shorter); one empty chunk
    /// for no bytes, so every version has at least one.
    /// </summary>
    public static List<byte[]> Split(byte[] bytes, int chunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        var chunks = new List<byte[]>();
        for (int start = 0; start < bytes.Length || chunks.Count == 0; start += chunkBytes)
            chunks.Add(bytes[start..Math.Min(bytes.Length, start + chunkBytes)]);
        return chunks;
    }

    /// <summary>Chunks 0 .. <paramref name="count"/> - 1 of version <paramref name="id"/> in order, as one array.</summary>
    public static byte[] Join(string id, string location, IReadOnlyDictionary<int, byte[]> chunks, int count)
    {
        long length = 0;
        for (int n = 0; n < count; n++)
        {
            if (!chunks.TryGetValue(n, out var chunk))
                throw new ModelStoreException($"model version '{id}': {ModelVersionFiles.WeightsFile} is incomplete on {location} (chunk {n + 1} of {count} is missing)");
            length += chunk.Length;
        }
        var bytes = new byte[length];
        int offset = 0;
        for (int n = 0; n < count; n++)
        {
            chunks[n].CopyTo(bytes, offset);
            offset += chunks[n].Length;
        }
        return bytes;
    }
}

using StreamLstm.Model;

namespace StreamLstm.Tests.Model;

public class ModelChunksTests
{
    [Theory]
    [InlineData(0, 4, 1)]
    [InlineData(1, 4, 1)]
    [InlineData(8, 4, 2)]
    [InlineData(9, 4, 3)]
    [InlineData(1_300_000, KafkaModelStore.DefaultChunkBytes, 3)]
    public void Weights_split_into_chunks_of_at_most_the_chunk_size_and_join_back_unchanged(int length, int chunkBytes, int count)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        var chunks = ModelChunks.Split(bytes, chunkBytes);
        Assert.Equal(count, chunks.Count);
        Assert.All(chunks, c => Assert.InRange(c.Length, 0, chunkBytes));
        var joined = ModelChunks.Join("v1", "Kafka topic 'm'", chunks.Select((c, n) => (c, n)).ToDictionary(x => x.n, x => x.c), chunks.Count);
        Assert.Equal(bytes, joined);
    }

    [Fact]
    public void A_missing_chunk_is_named()
    {
        var chunks = ModelChunks.Split(new byte[10], 4);
        var some = new Dictionary<int, byte[]> { [0] = chunks[0], [2] = chunks[2] };
        var ex = Assert.Throws<ModelStoreException>(() => ModelChunks.Join("v3", "Kafka topic 'm'", some, 3));
        Assert.Equal("model version 'v3': weights.bin is incomplete on Kafka topic 'm' (chunk 2 of 3 is missing)", ex.Message);
    }

    [Fact]
    public void Reassembled_weights_that_differ_from_the_metadata_are_refused_as_corrupt()
    {
        var bytes = new byte[] { 1, 2, 3 };
        var meta = new ModelMetadata { Version = "v1", WeightsBytes = 3, WeightsSha256 = ModelVersionFiles.Sha256(bytes) };
        ModelVersionFiles.CheckWeights("v1", meta, 3, ModelVersionFiles.Sha256(bytes));
        var ex = Assert.Throws<ModelStoreException>(() => ModelVersionFiles.CheckWeights("v1", meta, 3, ModelVersionFiles.Sha256([1, 2, 4])));
        Assert.Equal("model version 'v1': weights.bin does not match its SHA-256 in metadata.json (corrupt)", ex.Message);
    }
}

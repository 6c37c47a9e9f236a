using StreamLstm.Model;

namespace StreamLstm.Tests.Model;

public class ModelRecordKeysTests
{
    [Fact]
    public void Keys_name_their_version_upload_and_chunk_and_parse_back()
    {
        Assert.Equal("version/v12/abc", ModelRecordKeys.Version("v12", "abc"));
        Assert.True(ModelRecordKeys.TryVersion("version/v12/abc", out var id, out var number, out var upload));
        Assert.Equal(("v12", 12, "abc"), (id, number, upload));

        Assert.Equal("weights/abc/3", ModelRecordKeys.Weights("abc", 3));
        Assert.True(ModelRecordKeys.TryWeights("weights/abc/3", out upload, out var chunk));
        Assert.Equal(("abc", 3), (upload, chunk));

        Assert.True(ModelRecordKeys.IsCurrent(ModelRecordKeys.Current("p")));
    }

    [Theory]
    [InlineData("version/v0/abc")]
    [InlineData("version/naive/abc")]
    [InlineData("version/v3/")]
    [InlineData("version/v3")]
    [InlineData("weights/abc/x")]
    [InlineData("weights//1")]
    [InlineData("current/")]
    [InlineData("something/else")]
    public void Other_keys_are_not_taken_for_records_of_the_store(string key)
    {
        Assert.False(ModelRecordKeys.TryVersion(key, out _, out _, out _));
        Assert.False(ModelRecordKeys.TryWeights(key, out _, out _));
        Assert.False(ModelRecordKeys.IsCurrent(key));
    }
}

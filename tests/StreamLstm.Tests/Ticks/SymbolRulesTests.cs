using StreamLstm.Ticks;

namespace StreamLstm.Tests.Ticks;

public class SymbolRulesTests
{
    [Theory]
    [InlineData("EURUSD")]
    [InlineData("BRK.B")]
    [InlineData("ES=F")]
    [InlineData("EUR/USD")]
    [InlineData("^GSPC")]
    [InlineData("A B")]
    [InlineData("日経225")]
    [InlineData("a,b=c")]
    public void Printable_symbols_are_valid(string symbol) => Assert.Null(SymbolRules.Validate(symbol));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("EUR\nUSD", "control character U+000A")]
    [InlineData("EUR\tUSD", "control character U+0009")]
    [InlineData("EURUSD\\", "backslash")]
    public void Invalid_symbols_are_refused_with_a_reason(string symbol, string reason) =>
        Assert.Contains(reason, SymbolRules.Validate(symbol));

    [Fact]
    public void Symbols_longer_than_64_characters_are_refused()
    {
        Assert.Null(SymbolRules.Validate(new string('X', 64)));
        Assert.Contains("longer than 64", SymbolRules.Validate(new string('X', 65)));
    }
}

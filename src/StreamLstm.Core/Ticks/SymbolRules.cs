namespace StreamLstm.Ticks;

/// <summary>What makes a symbol valid: 1 to 64 characters, no control characters, no trailing backslash.</summary>
public static class SymbolRules
{
    /// <summary>Longest valid symbol, in UTF-16 characters.</summary>
    public const int MaxLength = 64;

    /// <summary>Returns null when <paramref name="symbol"/> is valid, else why it is not.</summary>
    public static string? Validate(string? symbol)
    {
        if (string.IsNullOrEmpty(symbol))
            return "symbol is empty";
        if (symbol.Length > MaxLength)
            return $"symbol is longer than {MaxLength} characters";
        foreach (var ch in symbol)
        {
            if (char.IsControl(ch))
                return $"symbol contains control character U+{(int)ch:X4}";
        }
        if (symbol[^1] == '\\')
            return "symbol ends with a backslash";
        return null;
    }
}

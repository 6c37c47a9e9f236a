using System.Text.Json;

namespace StreamLstm.Model;

/// <summary>The JSON conventions of the model store's files (snake_case), for tools that print its contents.</summary>
public static class ModelStoreJson
{
    public static JsonSerializerOptions Options => ModelStore.Json;
}

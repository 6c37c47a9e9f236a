using System.Diagnostics;
using System.Runtime.InteropServices;

namespace StreamLstm.Tests.Build;

/// <summary>What build/LibTorch.props and .targets do to this test project's own output folder.</summary>
public class LibTorchOutputTests
{
    private static string Native(string rid) => Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native");

    [Fact]
    public void The_output_holds_only_this_platforms_native_libraries()
    {
        var here = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win-x64"
            : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx-arm64" : "linux-x64";
        var others = Directory.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes"))
            ? Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "runtimes"))
                .Where(d => Directory.Exists(Path.Combine(d, "native")) && Directory.EnumerateFiles(Path.Combine(d, "native")).Any() && Path.GetFileName(d) != here)
                .Select(Path.GetFileName)
                .ToList()
            : [];
        Assert.Empty(others);
        Assert.NotEmpty(Directory.GetFiles(Native(here)));
        Assert.DoesNotContain(Directory.GetFiles(Native(here)), f => Path.GetFileName(f).StartsWith("libtorch_python", StringComparison.Ordinal));
    }

    [Fact]
    public void On_linux_the_wrapper_in_the_output_needs_glibcxx_3_4_32_only_weakly_and_the_nuget_cache_is_untouched()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(File.Exists(Path.Combine(Native("linux-x64"), "libLibTorchSharp.so")));
            return;
        }
        var output = Path.Combine(Native("linux-x64"), "libLibTorchSharp.so");
        Assert.Contains("Name: GLIBCXX_3.4.32  Flags: WEAK", ReadElfVersions(output));

        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var original = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(original), $"expected the package's copy at {original}");
        Assert.Contains("Name: GLIBCXX_3.4.32  Flags: none", ReadElfVersions(original));
    }

    private static string ReadElfVersions(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("readelf", ["-V", path]) { RedirectStandardOutput = true })!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return text;
    }
}

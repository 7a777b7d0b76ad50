using PathoFed.Federation.Security;

namespace PathoFed.Federation.Tests.Security;

public sealed class AllowListTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void Read_CommentsBlanksAndDuplicates_KeepsTheNames()
    {
        string path = _folder.File(AllowList.DefaultFileName);
        File.WriteAllText(path, "# study sites\nhospital-a\n\n  hospital-b  # joined in May\nhospital-a\n");

        AllowList list = AllowList.Read(path);

        Assert.Equal(["hospital-a", "hospital-b"], list.Names);
        Assert.True(list.Contains("hospital-b"));
        Assert.False(list.Contains("Hospital-B"));
        Assert.Equal(path, list.Source);
    }

    [Fact]
    public void Read_InvalidName_NamesFileAndLine()
    {
        string path = _folder.File(AllowList.DefaultFileName);
        File.WriteAllText(path, "hospital-a\nHospital_B\n");

        var error = Assert.Throws<CertificateException>(() => AllowList.Read(path));

        Assert.StartsWith($"Allow-list {path}, line 2: 'Hospital_B' is not a valid site name", error.Message);
    }

    [Fact]
    public void Read_ReservedCoordinatorName_Refused()
    {
        string path = _folder.File(AllowList.DefaultFileName);
        File.WriteAllText(path, "coordinator\n");

        var error = Assert.Throws<CertificateException>(() => AllowList.Read(path));

        Assert.Contains("line 1: 'coordinator' is not a valid site name", error.Message);
    }

    [Fact]
    public void Read_MissingFile_NamesIt()
    {
        string path = _folder.File("missing.txt");

        var error = Assert.Throws<CertificateException>(() => AllowList.Read(path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Write_ThenRead_RoundTrips()
    {
        string path = _folder.File(AllowList.DefaultFileName);

        AllowList.FromNames(["site-2", "site-1"]).Write(path);

        Assert.Equal(["site-1", "site-2"], AllowList.Read(path).Names);
    }

    public void Dispose() => _folder.Dispose();
}

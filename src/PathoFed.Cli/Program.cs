using PathoFed.Cli;
using PathoFed.Cli.Loopback;
using PathoFed.Slides.OpenSlide;

SlideNativeLibraries.Preload(); // before anything touches OpenCV
ParentLifeline.WatchIfRequested(Console.Error); // a child of a loopback federation dies with its parent
return await PathofedCli.InvokeAsync(args, CliConsole.System);

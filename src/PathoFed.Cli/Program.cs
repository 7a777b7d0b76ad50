using PathoFed.Cli;
using PathoFed.Slides.OpenSlide;

SlideNativeLibraries.Preload(); // before anything touches OpenCV
return await PathofedCli.InvokeAsync(args, CliConsole.System);

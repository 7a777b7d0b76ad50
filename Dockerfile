# PathoFed: build with the .NET SDK, run on the slim ASP.NET runtime with the native libraries tools/setup.sh installs.
# (Not buildable on the project's own machines, which have no Docker engine; keep it in step with tools/setup.sh.)
FROM mcr.microsoft.com/dotnet/sdk:10.0-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/PathoFed.Cli -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0-bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopenslide0 libgtk-3-0 libopenblas0-pthread \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["dotnet", "/app/pathofed.dll"]

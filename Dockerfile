# PathoFed: build with the .NET SDK, run on the slim ASP.NET runtime with the native libraries tools/setup.sh installs.
# (Not buildable on the project's own machines, which have no Docker engine; keep it in step with tools/setup.sh.)
#   docker build -t pathofed .                                   CPU image
#   docker build -t pathofed:gpu --build-arg FLAVOUR=gpu .       ONNX Runtime's CUDA package on a CUDA 12 / cuDNN 9 base
ARG FLAVOUR=cpu

FROM mcr.microsoft.com/dotnet/sdk:10.0-bookworm-slim AS build
ARG FLAVOUR
WORKDIR /src
COPY . .
RUN dotnet publish src/PathoFed.Cli -c Release -o /app --nologo -p:OnnxRuntimeGpu=$([ "$FLAVOUR" = gpu ] && echo true || echo false)

FROM mcr.microsoft.com/dotnet/aspnet:10.0-bookworm-slim AS runtime-cpu

# CUDA runtime and cuDNN for ONNX Runtime's CUDA provider, plus the ASP.NET runtime the CLI needs.
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS runtime-gpu
COPY --from=mcr.microsoft.com/dotnet/aspnet:10.0-noble /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet

FROM runtime-${FLAVOUR} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopenslide0 libgtk-3-0 libopenblas0-pthread \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["dotnet", "/app/pathofed.dll"]

'use strict';
// One slide in OpenSeadragon: the slide as a Deep Zoom image, the patch-score heatmap as a second tiled image of the
// same size (so the two line up), opacity and visibility on the client, and the patch score under a click.
// window.pathofed exposes the state to the browser test and the console.
(function () {
  const slideId = decodeURIComponent(location.pathname.split('/').pop());
  const encodedId = encodeURIComponent(slideId);
  const $ = id => document.getElementById(id);
  const state = { slideId, viewer: null, heatmap: null, opacity: 0.5, visible: true, colormap: 'jet', info: null };
  window.pathofed = state;

  state.setVisible = visible => { state.visible = visible; $('heatmap-visible').checked = visible; applyOpacity(); };
  state.setOpacity = opacity => { state.opacity = opacity; $('heatmap-opacity').value = opacity; applyOpacity(); };
  state.setColormap = colormap => { state.colormap = colormap; $('heatmap-cmap').value = colormap; addHeatmap(); };
  state.showScoreAt = showScoreAt;
  /** True once every tiled image has drawn all the tiles the current view needs. */
  state.isFullyLoaded = () => {
    const world = state.viewer?.world;
    if (!world || world.getItemCount() < (state.info?.heatmap ? 2 : 1)) return false;
    for (let i = 0; i < world.getItemCount(); i++) if (!world.getItemAt(i).getFullyLoaded()) return false;
    return true;
  };

  init().catch(e => { $('title').textContent = 'Could not open ' + slideId + ': ' + e.message; });

  async function init() {
    document.title = slideId + ' – PathoFed';
    $('title').textContent = slideId;
    state.info = await fetchJson('/api/slides/' + encodedId);
    const score = state.info.score;
    if (score && state.info.rankColumn && score.values[state.info.rankColumn] != null) {
      $('slide-score').textContent = `${score.prediction} · ${state.info.rankColumn} ${Number(score.values[state.info.rankColumn]).toFixed(4)}`;
    }

    state.viewer = OpenSeadragon({
      id: 'osd',
      prefixUrl: '/lib/openseadragon/images/',
      tileSources: '/dzi/' + encodedId + '.dzi',
      // The 2D canvas drawer: predictable in headless browsers without a GPU, and its pixels can be read back.
      drawer: 'canvas',
      showNavigator: false,
      maxZoomPixelRatio: 4,
      gestureSettingsMouse: { clickToZoom: false },
    });
    state.viewer.addHandler('canvas-click', event => {
      if (!event.quick) return;
      const point = state.viewer.world.getItemAt(0).viewerElementToImageCoordinates(event.position);
      showScoreAt(point.x, point.y);
    });

    const heatmap = state.info.heatmap;
    if (!heatmap) {
      $('heatmap-controls').querySelectorAll('input, select').forEach(control => { control.disabled = true; });
      $('heatmap-info').textContent = 'No patch scores for this slide in the results folder.';
      $('patch-info').textContent = '';
      return;
    }
    $('colorbar-high').textContent = formatScore(heatmap.highScore);
    $('colorbar-low').textContent = formatScore(heatmap.lowScore);
    $('heatmap-info').textContent = `${heatmap.scoreKind} of ${heatmap.model}, ${heatmap.patchCount} patches, ${heatmap.normalization} scaling`;
    $('heatmap-visible').addEventListener('change', e => state.setVisible(e.target.checked));
    $('heatmap-opacity').addEventListener('input', e => state.setOpacity(Number(e.target.value)));
    $('heatmap-cmap').addEventListener('change', e => state.setColormap(e.target.value));
    addHeatmap();
  }

  function addHeatmap() {
    if (state.heatmap) {
      state.viewer.world.removeItem(state.heatmap);
      state.heatmap = null;
    }
    state.viewer.addTiledImage({
      tileSource: '/heatmap/' + encodedId + '.dzi?cmap=' + state.colormap,
      opacity: currentOpacity(),
      success: event => { state.heatmap = event.item; },
    });
    $('colorbar').src = '/api/colorbar?cmap=' + state.colormap;
  }

  function currentOpacity() {
    return state.visible ? state.opacity : 0;
  }

  function applyOpacity() {
    if (state.heatmap) state.heatmap.setOpacity(currentOpacity());
  }

  /** Shows (and returns) the patch under a level-0 point. */
  async function showScoreAt(level0X, level0Y) {
    const x = Math.round(level0X), y = Math.round(level0Y);
    const result = await fetchJson(`/api/patches/${encodedId}?x=${x}&y=${y}`);
    $('patch-info').textContent = result.patch
      ? `(${x}, ${y}): patch at (${result.patch.level0X}, ${result.patch.level0Y}), ${result.patch.level0Size} px; `
        + `${result.scoreKind} ${formatScore(result.patch.score)}`
        + (result.patch.cellScore != null ? ` (shown: ${formatScore(result.patch.cellScore)})` : '')
      : `(${x}, ${y}): no scored patch here.`;
    return result;
  }

  async function fetchJson(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    return response.json();
  }

  function formatScore(value) {
    return Number(value).toPrecision(4);
  }
})();

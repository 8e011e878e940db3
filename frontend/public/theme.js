// Applies the stored theme choice before the first paint, so a dark page does not flash light
// while the app loads. The app itself owns the choice afterwards (see src/theme.rs).
try {
  var theme = window.localStorage.getItem('gmac.theme');
  if (theme === 'light' || theme === 'dark' || theme === 'system') {
    document.documentElement.setAttribute('data-theme', theme);
  }
} catch (e) {
  // Storage is unavailable: the system preference applies.
}

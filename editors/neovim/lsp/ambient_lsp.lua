-- Neovim 0.11+ configuration (`vim.lsp.config` / `vim.lsp.enable`):
--   vim.lsp.enable("ambient_lsp")
-- with this directory on 'runtimepath'. Settings go in `settings.ambient` (contract §3).
return {
  cmd = { "ambient-lsp", "--stdio" },
  filetypes = { "yaml" },
  root_markers = { ".git" },
  settings = {
    ambient = {
      waypointName = "waypoint",
      maxFileSizeKb = 16384,
      -- the live cluster, read-only (context: nil = the kubeconfig's current context)
      cluster = { enabled = false },
    },
  },
}

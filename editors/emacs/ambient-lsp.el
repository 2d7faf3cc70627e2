;;; ambient-lsp.el --- ambient-lsp for Emacs through eglot  -*- lexical-binding: t; -*-

;; Emacs 28+ with eglot (built in from Emacs 29; Debian 12: elpa-eglot).  Load this file (or
;; copy its forms into your init file); `ambient-lsp' must be on `exec-path'.
;;
;;   (load "path/to/ambient-lsp/editors/emacs/ambient-lsp.el")
;;
;; Code actions: M-x eglot-code-actions.  The migration report: M-x ambient-lsp-report.
;; editors/emacs/test/e2e.el tests these forms in a real Emacs (run by scripts/test).

;;; Code:

(require 'eglot)

(add-to-list 'eglot-server-programs
             '((yaml-mode yaml-ts-mode) . ("ambient-lsp" "--stdio")))

;; the `ambient' settings of the server
(setq-default eglot-workspace-configuration
              '(:ambient (:waypointName "waypoint")))

(add-hook 'yaml-mode-hook #'eglot-ensure)
(add-hook 'yaml-ts-mode-hook #'eglot-ensure)

(defun ambient-lsp-report ()
  "Show the migration report of the workspace (rendered by the server)."
  (interactive)
  (let* ((res (jsonrpc-request (eglot--current-server-or-lose)
                               :workspace/executeCommand
                               '(:command "ambient.migrationReport"
                                 :arguments [(:format "markdown" :links "file")])))
         (buf (get-buffer-create "*ambient migration report*")))
    (with-current-buffer buf
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert (plist-get res :markdown))
        (goto-char (point-min)))
      (if (fboundp 'markdown-mode) (markdown-mode) (text-mode))
      (setq buffer-read-only t))
    (display-buffer buf)
    buf))

(provide 'ambient-lsp)
;;; ambient-lsp.el ends here

;;; e2e.el --- end-to-end test of ambient-lsp in Emacs + eglot  -*- lexical-binding: t; -*-

;; A real Emacs (Debian's emacs-nox 28 + elpa-eglot 1.9) in batch mode, with the forms of
;; ../ambient-lsp.el (what the README tells users to load) and the real server:
;;   PLUGIN=editors/emacs WS=<a git copy of examples/mesh> PATH=<dir of ambient-lsp>:$PATH \
;;     emacs --batch -l e2e.el
;; Checks that no server starts in a project without mesh manifests (PLAIN) nor over a YAML
;; server the user configured, that the user's `eglot-workspace-configuration' is kept.
;; Opens bookinfo/namespace.yaml, waits for the server's diagnostics through eglot and flymake,
;; applies the "Label Namespace" code action through `eglot-code-actions', saves, sees the
;; diagnostic go, and shows the migration report.  Exits 1 on any failure.

;;; Code:

(require 'package)
(package-initialize)                    ; Debian's elpa-eglot lives in the system elpa dirs
(require 'cl-lib)
(require 'seq)
(require 'eglot)
(require 'flymake)

(defun e2e-fail (fmt &rest args)
  (princ (concat "FAIL: " (apply #'format fmt args) "\n") #'external-debugging-output)
  (dolist (b (buffer-list))              ; the server's stderr (eglot keeps it in a buffer)
    (when (string-match-p "stderr" (buffer-name b))
      (princ (format "--- %s\n%s\n" (buffer-name b) (with-current-buffer b (buffer-string)))
             #'external-debugging-output)))
  (kill-emacs 1))

(defun e2e-log (fmt &rest args)
  (princ (concat (apply #'format fmt args) "\n")))

(defun e2e-wait (seconds what pred)
  "Run the event loop until PRED is non-nil (its value is returned)."
  (let ((end (+ (float-time) seconds)) v)
    (while (not (setq v (funcall pred)))
      (when (> (float-time) end)
        (e2e-fail "timed out after %ss waiting for %s" seconds what))
      (accept-process-output nil 0.05))
    v))

(defun e2e-diags (code)
  "Flymake diagnostics of the current buffer whose LSP code is CODE."
  (flymake-start)                       ; idle timers do not run in batch mode
  (accept-process-output nil 0.05)
  (seq-filter (lambda (d)
                (equal code (plist-get (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data d)))
                                       :code)))
              (flymake-diagnostics)))

(condition-case err
    (let ((ws (file-name-as-directory (getenv "WS")))
          (plain (file-name-as-directory (getenv "PLAIN")))
          (plugin (getenv "PLUGIN"))
          (user-conf '(:yaml (:schemas (:kubernetes "*.yaml")))))
      (unless (and ws plugin) (e2e-fail "set WS and PLUGIN"))
      (unless (executable-find "ambient-lsp") (e2e-fail "ambient-lsp is not on PATH"))
      ;; Emacs 28 has no YAML mode; users have yaml-mode (MELPA) or yaml-ts-mode (Emacs 29)
      (define-derived-mode yaml-mode prog-mode "YAML")
      (add-to-list 'auto-mode-alist '("\\.ya?ml\\'" . yaml-mode))
      ;; the user's own configuration, set before the plugin is loaded: kept as it is
      (setq-default eglot-workspace-configuration user-conf)
      (load (expand-file-name "ambient-lsp.el" plugin) nil t)
      (unless (equal (default-value 'eglot-workspace-configuration) user-conf)
        (e2e-fail "eglot-workspace-configuration clobbered: %S"
                  (default-value 'eglot-workspace-configuration)))
      (setq ambient-lsp-settings '(:waypointName "e2e-gw"))

      ;; 0a. a project without Istio / Gateway API manifests (`ambient-lsp detect' exits 1):
      ;; no server
      (find-file (expand-file-name ".github/workflows/ci.yaml" plain))
      (run-hooks 'post-command-hook)
      (accept-process-output nil 1)
      (when (or (eglot-current-server) (> (hash-table-count eglot--servers-by-project) 0))
        (e2e-fail "a server started in a project without mesh manifests"))
      (e2e-log "no server in %s (not a mesh project)" plain)
      (kill-buffer)

      ;; 0b. a YAML server the user configured (and installed) is not displaced by default
      (let ((fake (expand-file-name "fakebin/my-yaml-server" (getenv "HOME"))))
        (make-directory (file-name-directory fake) t)
        (with-temp-file fake (insert "#!/bin/sh\nexit 3\n"))
        (set-file-modes fake #o755)
        (add-to-list 'exec-path (file-name-directory fake))
        (add-to-list 'eglot-server-programs '((yaml-mode) . ("my-yaml-server" "--stdio"))))
      (find-file (expand-file-name "bookinfo/namespace.yaml" ws))
      (run-hooks 'post-command-hook)
      (accept-process-output nil 1)
      (when (eglot-current-server) (e2e-fail "a server started over the user's YAML server"))
      (unless (equal (car eglot-server-programs) '((yaml-mode) . ("my-yaml-server" "--stdio")))
        (e2e-fail "eglot-server-programs changed: %S" (car eglot-server-programs)))
      (e2e-log "the user's YAML server is kept (ambient-lsp-take-over-yaml: %s)"
               ambient-lsp-take-over-yaml)
      (kill-buffer)
      ;; ... and ambient-lsp takes mesh projects over when asked to
      (setq ambient-lsp-take-over-yaml t)

      ;; 1. open a manifest of a mesh project: ambient-lsp-maybe-start runs eglot-ensure, which
      ;; connects after the next command (post-command-hook, run by hand in batch mode)
      (find-file (expand-file-name "bookinfo/namespace.yaml" ws))
      (unless (eq major-mode 'yaml-mode) (e2e-fail "major mode %s" major-mode))
      (run-hooks 'post-command-hook)
      (e2e-wait 30 "eglot to connect" (lambda () (eglot-current-server)))
      (let* ((server (eglot-current-server))
             (root (project-root (eglot--project server))))
        (e2e-log "connected: %s, project %s" (process-command (jsonrpc--process server)) root)
        (unless (file-equal-p root ws) (e2e-fail "project root %s, not %s" root ws)))

      ;; 2. the server's diagnostic through flymake, on the exact node
      (let* ((d (car (e2e-wait 30 "R001 through flymake" (lambda () (e2e-diags "R001")))))
             (beg (flymake-diagnostic-beg d))
             (end (flymake-diagnostic-end d)))
        (save-excursion
          (goto-char beg)
          (unless (and (= (line-number-at-pos) 4) (= (current-column) 8))
            (e2e-fail "R001 at %d:%d, expected 4:9" (line-number-at-pos) (1+ (current-column)))))
        (e2e-log "R001 at 4:9: %s" (car (split-string (flymake-diagnostic-text d) "\n")))

        ;; 3. its code action, chosen and applied by eglot as M-x eglot-code-actions does
        (let* ((actions (eglot-code-actions beg end "quickfix"))
               (title (seq-find (lambda (s) (string-match-p "Label Namespace bookinfo" s))
                                (mapcar (lambda (a) (plist-get a :title)) actions))))
          (unless title (e2e-fail "no label action among %S" actions))
          (e2e-log "applying: %s" title)
          (cl-letf (((symbol-function 'completing-read) (lambda (&rest _) title))
                    ((symbol-function 'y-or-n-p) (lambda (&rest _) t)))
            (let ((last-nonmenu-event ?\r)) ; a key, not a mouse click: eglot asks with completing-read
              (eglot-code-actions beg end "quickfix" t)))))
      (let ((want (concat "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bookinfo\n"
                          "  labels:\n    team: books\n    istio.io/dataplane-mode: ambient\n")))
        (unless (equal (buffer-string) want) (e2e-fail "buffer after the action:\n%s" (buffer-string)))
        (save-buffer)
        (let ((file buffer-file-name))
          (unless (equal (with-temp-buffer (insert-file-contents file) (buffer-string)) want)
            (e2e-fail "namespace.yaml on disk differs"))))
      (e2e-log "saved: istio.io/dataplane-mode: ambient")
      (eglot--signal-textDocument/didChange) ; the idle timer does not run in batch mode
      (e2e-wait 30 "R001 to disappear" (lambda () (null (e2e-diags "R001"))))
      (e2e-log "R001 gone after the edit")

      ;; 4. the migration report, rendered by the server
      (with-current-buffer (ambient-lsp-report)
        (let ((md (buffer-string)))
          (unless (string-prefix-p "# Ambient migration report\n" md) (e2e-fail "report:\n%s" md))
          (dolist (id '("pre-reqs" "cluster-setup" "deploy-waypoints" "migrate-policies"
                        "use-waypoints" "policy-simplification" "remove-sidecars"))
            (unless (string-match-p (concat "^## [0-9]\\. " (regexp-quote id) " ") md)
              (e2e-fail "no phase %s in the report" id)))
          (unless (string-match-p (regexp-quote (concat "(file://" ws)) md)
            (e2e-fail "no file links in the report"))
          (e2e-log "report: %d lines" (count-lines (point-min) (point-max)))))

      ;; 5. the settings reached the server (the `:ambient' section added to the user's
      ;; configuration): the waypoint is named after ambient-lsp-settings (in U008, which the
      ;; policies of authorization.yaml, set aside for step 3, bring back once opened)
      (copy-file (getenv "AUTHZ") (expand-file-name "bookinfo/authorization.yaml" ws) t)
      (find-file (expand-file-name "bookinfo/authorization.yaml" ws))
      (run-hooks 'post-command-hook)
      (find-file (expand-file-name "bookinfo/services.yaml" ws))
      (let ((d (e2e-wait 30 "a diagnostic naming waypoint e2e-gw"
                         (lambda ()
                           (flymake-start)
                           (accept-process-output nil 0.05)
                           (seq-find (lambda (d) (string-match-p "bookinfo/e2e-gw"
                                                                 (flymake-diagnostic-text d)))
                                     (flymake-diagnostics))))))
        (e2e-log "setting applied: %s" (car (split-string (flymake-diagnostic-text d) "\n"))))
      (let ((conf (eglot--workspace-configuration-plist (eglot-current-server))))
        (unless (equal (plist-get conf :yaml) (plist-get user-conf :yaml))
          (e2e-fail "the user's :yaml section is not sent: %S" conf)))

      (eglot-shutdown (eglot-current-server))
      (e2e-log "PASS")
      (kill-emacs 0))
  (error (e2e-fail "%S" err)))

;;; e2e.el ends here

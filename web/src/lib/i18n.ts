/**
 * English and Turkish. The dictionary is typed: every key of `en` must exist in `tr` (compile error otherwise).
 * The choice is persisted in localStorage (the language only — nothing else is stored in the browser).
 * Column labels come from domain/columns.ts (English); Turkish labels are translations keyed by column name.
 */
import { createSignal } from 'solid-js';
import { COLUMNS, SYSTEM_COLUMNS, type FileType, type LoanType } from '../../../domain/columns.ts';
import { ApiError } from './api.ts';

export type Lang = 'en' | 'tr';
export const LANGS: readonly { code: Lang; short: string; name: string }[] = [
  { code: 'en', short: 'EN', name: 'English' },
  { code: 'tr', short: 'TR', name: 'Türkçe' },
];
const STORAGE_KEY = 'findata.lang';

const en = {
  'a11y.skip': 'Skip to content',
  'a11y.menu': 'Menu',
  'a11y.mainNav': 'Main',
  'lang.label': 'Language / Dil',

  'nav.dashboard': 'Dashboard',
  'nav.upload': 'Upload',
  'nav.syncs': 'Syncs',
  'nav.data': 'Data',
  'nav.profiling': 'Profiling',
  'nav.errors': 'Errors',
  'nav.settings': 'Settings',
  'nav.signOut': 'Sign out',

  'action.cancel': 'Cancel',
  'action.clearFilters': 'Clear filters',
  'action.copied': 'Copied',
  'action.copy': 'Copy',
  'action.dismiss': 'Dismiss',
  'action.refresh': 'Refresh',
  'action.remove': 'Remove',
  'action.retry': 'Try again',
  'action.save': 'Save',

  'common.actions': 'Actions',
  'common.all': 'All',
  'common.empty': 'empty',
  'common.fileType': 'File',
  'common.loanType': 'Loan type',
  'common.newTab': 'opens in a new tab',
  'common.rows': 'Rows',

  'loanType.RETAIL': 'Retail',
  'loanType.COMMERCIAL': 'Commercial',
  'fileType.credit': 'Credits',
  'fileType.payment_plan': 'Payment plan',

  'status.PENDING': 'Pending',
  'status.RUNNING': 'Running',
  'status.SUCCESS': 'Success',
  'status.ABORTED': 'Aborted',
  'status.FAILED': 'Failed',
  'trigger.SCHEDULE': 'Scheduled',
  'trigger.MANUAL': 'Manual',

  'code.REQUIRED': 'Required',
  'code.TYPE': 'Type',
  'code.FORMAT': 'Format',
  'code.RANGE': 'Range',
  'code.VALUE': 'Value',
  'code.DUPLICATE': 'Duplicate',
  'code.CROSS_REFERENCE': 'Cross-reference',

  'type.string': 'Text',
  'type.int': 'Integer',
  'type.money': 'Money',
  'type.percent': 'Rate',
  'type.date': 'Date',
  'type.code': 'Code',

  'phase.starting': 'Starting',
  'phase.claiming': 'Claiming the uploads',
  'phase.validating': 'Validating rows',
  'phase.deciding': 'Checking the error rate',
  'phase.committing': 'Writing to the warehouse',
  'phase.cleaning_up': 'Cleaning up',
  'phase.recording': 'Recording the result',
  'phase.done': 'Done',
  'step.begin': 'Begin',
  'step.claim': 'Claim uploads',
  'step.validate credit': 'Validate credits',
  'step.validate payment_plan': 'Validate payment plan',
  'step.carry over payments': 'Carry over payments',
  'step.commit': 'Write to warehouse',
  'step.roll back': 'Roll back',
  'step.clean up': 'Clean up',
  'step.record': 'Record result',

  'unit.ms': 'ms',
  'unit.s': 's',
  'unit.min': 'min',
  'unit.h': 'h',
  'unit.sLong': 'seconds',
  'unit.minLong': 'minutes',
  'unit.hLong': 'hours',
  'time.justNow': 'just now',

  'state.loading': 'Loading…',
  'state.checkingSession': 'Checking your session…',
  'state.errorTitle': 'Something went wrong',
  'state.pageCrashed': 'This page could not be shown',
  'state.requestId': 'Request id',

  'pager.showing': '{from}–{to} of {total}',
  'pager.previous': 'Previous',
  'pager.next': 'Next',
  'pager.page': 'Page {page} of {pages}',

  'chart.showTable': 'Show data as a table',

  'notFound.title': 'Page not found',
  'notFound.text': 'This address does not match any page of findata.',

  'signin.title': 'Sign in',
  'signin.intro': 'Use your bank’s findata API key. It is exchanged for a secure session and is not stored in this browser.',
  'signin.apiKey': 'API key',
  'signin.help': 'Starts with sk_live_ — ask your administrator if you do not have it.',
  'signin.showKey': 'Show key',
  'signin.hideKey': 'Hide key',
  'signin.submit': 'Sign in',
  'signin.submitting': 'Signing in…',
  'signin.required': 'Enter your API key.',
  'signin.wrongKey': 'This API key was not accepted. Check that you copied the whole key (it starts with sk_live_) and that it has not been rotated.',
  'signin.expired': 'Your session ended. Sign in again to continue.',
  'signin.signedOut': 'You are signed out.',
  'signin.privacy': 'Sessions last 8 hours. Signing out ends the session on this device.',

  'dash.subtitle': 'Latest syncs, warehouse contents and what is waiting.',
  'dash.uploadFiles': 'Upload files',
  'dash.latestSyncs': 'Latest sync per loan type',
  'dash.noSyncYet': 'No sync yet',
  'dash.uploadToStart': 'Upload files to start',
  'dash.when': 'When',
  'dash.rowsWritten': 'Rows written',
  'dash.ofRows': 'of {n} rows',
  'dash.errorRate': 'Error rate',
  'dash.viewSync': 'View sync',
  'dash.watchProgress': 'Watch progress',
  'dash.chartTitle': 'Syncs and error rates',
  'dash.chartRows': 'Rows',
  'dash.chartErrorRate': 'Error rate (%)',
  'dash.chartAria': 'Bar and line chart of the last {n} syncs: rows per sync and error rate in percent.',
  'dash.allSyncs': 'All syncs',
  'dash.noHistory': 'No syncs yet',
  'dash.noHistoryText': 'The chart fills in after the first sync.',
  'dash.warehouse': 'Warehouse',
  'dash.browseData': 'Browse data',
  'dash.rows': 'rows',
  'dash.pending': 'Pending',
  'dash.nothingPending': 'No uploads waiting.',
  'dash.rowsN': '{n} rows',
  'dash.schedules': 'Scheduled syncs',
  'dash.everyN': 'every {d}',

  'upload.subtitle': 'Drop the credit and payment plan files of a loan type. Each file is checked as soon as it arrives.',
  'upload.creditHelp': 'One row per loan account (credit.csv).',
  'upload.paymentHelp': 'One row per installment (payment_plan.csv).',
  'upload.dropHere': 'Drag and drop a CSV file here, or',
  'upload.chooseFile': 'choose a file',
  'upload.csvOnly': 'UTF-8 CSV; delimiter , ; | or tab.',
  'upload.fileInputAria': '{file} file ({lt})',
  'upload.progressAria': 'Upload of the {file} file',
  'upload.sent': '{sent} of {total} sent ({pct}%)',
  'upload.checking': 'All bytes sent — the server is checking the file…',
  'upload.accepted': 'Accepted',
  'upload.acceptedText': '{n} rows, {size}. Waiting for a sync.',
  'upload.acceptedToast': '{file}: {n} rows accepted',
  'upload.rejected': 'Rejected',
  'upload.rejectedToast': '{file}: the file was rejected',
  'upload.serverSaid': 'Details',
  'upload.cancelled': 'Upload cancelled.',
  'upload.warningsN': 'Warnings ({n})',
  'upload.readyTitle': 'Sync {lt}',
  'upload.readyText': 'Pending: {files}. A sync validates the rows and replaces the warehouse data of this loan type.',
  'upload.nothingToSync': 'Nothing pending for this loan type yet: upload at least one file.',
  'upload.syncNow': 'Sync now',
  'upload.syncNowLt': 'Sync {lt} now',
  'upload.syncStarted': '{lt} sync started',
  'upload.pendingTitle': 'Pending uploads',
  'upload.noPending': 'No pending uploads',
  'upload.noPendingText': 'Accepted files wait here until a sync picks them up.',
  'upload.fileName': 'File name',
  'upload.size': 'Size',
  'upload.uploadedAt': 'Uploaded',
  'upload.warnings': 'Warnings',
  'upload.removeAria': 'Remove the pending {file} upload',
  'upload.removeTitle': 'Remove pending upload?',
  'upload.removeConfirm': 'The pending {file} upload will be dropped. It will not be synced.',
  'upload.removed': 'Pending upload removed',

  'syncs.subtitle': 'Every sync of your loan portfolio, newest first.',
  'syncs.filtersAria': 'Filter syncs',
  'syncs.status': 'Status',
  'syncs.started': 'Started',
  'syncs.trigger': 'Trigger',
  'syncs.duration': 'Duration',
  'syncs.id': 'Id',
  'syncs.caption': 'Sync history',
  'syncs.none': 'No syncs yet',
  'syncs.noMatch': 'No syncs match these filters',
  'syncs.openAria': 'Sync of {when}, {lt}',
  'syncs.pagerAria': 'Sync history pages',

  'detail.docTitle': 'Sync',
  'detail.title': '{lt} sync',
  'detail.openTemporal': 'Open in Temporal UI',
  'detail.viewErrors': 'Errors',
  'detail.viewErrorsN': 'Read the {n} errors',
  'detail.inProgress': 'In progress',
  'detail.live': 'Live',
  'detail.currentStep': 'Current step',
  'detail.waiting': 'Waiting for the worker…',
  'detail.progressAria': 'Sync progress',
  'detail.elapsed': '{d} elapsed',
  'detail.fileProgressAria': '{file} rows validated',
  'detail.rowsProcessed': '{done} of {total} rows · {invalid} invalid',
  'detail.phase': 'Phase',
  'detail.errorsSoFar': 'Errors so far',
  'detail.stepsDone': 'Steps done',
  'detail.phaseNow': 'Now: {phase}',
  'detail.finishedAnnounce': 'Sync finished: {status}',
  'detail.pollError': 'Live updates paused',
  'detail.outcome': 'Outcome',
  'detail.completed': 'Finished — {status}',
  'detail.invalidRows': 'Invalid rows',
  'detail.validRows': 'Valid rows',
  'detail.rowsRemoved': 'Rows removed',
  'detail.perFile': 'Counts per file',
  'detail.notInSync': 'Not part of this sync',
  'detail.removedN': '{n} payment rows of removed loans dropped',
  'detail.timeline': 'Step timeline',
  'detail.noTimeline': 'The step timeline is no longer available from the workflow; open it in Temporal UI.',
  'detail.running': 'running',

  'errors.subtitle': 'Validation errors of a sync, by code and by column.',
  'errors.sync': 'Sync',
  'errors.nErrors': '{n} errors',
  'errors.openSync': 'Open sync',
  'errors.none': 'No validation errors',
  'errors.noneText': 'Every row of this sync was valid.',
  'errors.byCode': 'Errors by code',
  'errors.byCodeAria': 'Bar chart of errors by code: {list}',
  'errors.byColumn': 'Errors by column',
  'errors.byColumnAria': 'Bar chart of errors by column: {list}',
  'errors.count': 'Errors',
  'errors.code': 'Code',
  'errors.column': 'Column',
  'errors.row': 'Row',
  'errors.message': 'Message',
  'errors.value': 'Value',
  'errors.tableTitle': 'Error list',
  'errors.filtersAria': 'Filter errors',
  'errors.noMatch': 'No errors match these filters',
  'errors.pagerAria': 'Error list pages',
  'errors.downloadCsv': 'Failed records (CSV)',

  'data.subtitle': 'Rows in the warehouse. Amounts and rates are exact, as stored.',
  'data.filters': 'Filters',
  'data.activeFilters': '{n} active filters',
  'data.activeFiltersLabel': 'Active filters',
  'data.removeFilter': 'Remove filter {f}',
  'data.from': 'From',
  'data.to': 'To',
  'data.columns': 'Columns {n}/{total}',
  'data.columnsLegend': 'Visible columns',
  'data.resetColumns': 'Default columns',
  'data.allColumns': 'All columns',
  'data.noMatch': 'No rows match these filters',
  'data.empty': 'No {lt} · {ft} rows in the warehouse yet',
  'data.tableAria': '{lt} · {ft} rows',
  'data.sortHint': 'Column headers are buttons that sort the table.',
  'data.pageSize': 'Rows per page',
  'data.pagerAria': 'Data pages',
  'data.totalRows': '{n} rows match',

  'profiling.subtitle': 'Per-column statistics of the warehouse data, computed in ClickHouse.',
  'profiling.find': 'Find a column',
  'profiling.findPlaceholder': 'name or label',
  'profiling.columns': 'Columns',
  'profiling.profiledAt': 'Profiled',
  'profiling.cacheNote': 'Refreshed after every sync',
  'profiling.noColumn': 'No column matches',
  'profiling.nulls': 'Empty',
  'profiling.distinct': 'Distinct',
  'profiling.min': 'Min',
  'profiling.max': 'Max',
  'profiling.mean': 'Mean',
  'profiling.sum': 'Sum',
  'profiling.histogram': 'Distribution',
  'profiling.topValues': 'Top values',
  'profiling.noChart': 'Free text: no chart.',
  'profiling.histAria': 'Histogram of {col} in {n} ranges',
  'profiling.topAria': 'Top values of {col}: {list}',
  'profiling.count': 'Rows',
  'profiling.range': 'Range',
  'profiling.value': 'Value',

  'settings.subtitle': 'Your bank, its sync schedules and its API key.',
  'settings.tenant': 'Tenant',
  'settings.name': 'Name',
  'settings.tenantId': 'Tenant id',
  'settings.statusLabel': 'Status',
  'settings.active': 'Active',
  'settings.inactive': 'Inactive',
  'settings.created': 'Created',
  'settings.pgSchema': 'PostgreSQL schema',
  'settings.chDatabase': 'ClickHouse database',
  'settings.temporal': 'Temporal UI',
  'settings.apiKey': 'API key',
  'settings.keyIntro': 'Integrations and this web app use the key. Rotating it issues a new key; the old key stops working at once.',
  'settings.currentKey': 'Current key',
  'settings.rotate': 'Rotate API key',
  'settings.rotateTitle': 'Rotate the API key?',
  'settings.rotateText': 'A new key is issued and the current key stops working immediately. Every integration that uses it must be updated. You stay signed in.',
  'settings.rotateConfirm': 'Rotate key',
  'settings.rotated': 'New API key issued',
  'settings.newKey': 'Your new API key',
  'settings.newKeyWarning': 'Copy it now: it is shown only once and cannot be retrieved later.',
  'settings.savedKey': 'I have saved it',
  'settings.schedules': 'Sync schedules',
  'settings.schedulesIntro': 'Scheduled syncs pick up pending uploads automatically. You can always sync by hand.',
  'settings.scheduled': 'Scheduled',
  'settings.interval': 'Every',
  'settings.unit': 'Unit',
  'settings.intervalInvalid': 'Use an interval from 5 seconds to 24 hours.',
  'settings.runsEvery': 'Checks for pending uploads every {d}.',
  'settings.manualOnly': 'Scheduling is off: sync by hand from the Upload page.',
  'settings.saving': 'Saving…',
  'settings.saved': '{lt} schedule saved',
  'settings.pendingRows': 'Pending rows — {c}: {credit}, {p}: {pp}',
  'settings.updated': 'updated {when}',
  'settings.disabled': 'Off',

  'summary.success': 'Written — {files}.',
  'summary.invalid': '{n} invalid rows are kept as failed records.',
  'summary.removed': '{n} payment rows of loans no longer in the credit file were removed.',
  'summary.aborted': 'Aborted: {invalid} of {total} rows are invalid ({rate} > 50%). The warehouse keeps its previous data; fix the files and upload them again.',
  'summary.nothing': 'Nothing to sync: there were no pending uploads.',
  'summary.filePart': '{file}: {n} rows',

  // API error codes (error envelope) — details are interpolated
  'apiError.UNAUTHORIZED': 'You are not signed in, or your session ended.',
  'apiError.FORBIDDEN': 'You do not have access to this resource.',
  'apiError.CSRF_FAILED': 'The page is out of date. Reload it and try again.',
  'apiError.RATE_LIMITED': 'Too many requests. Try again in {retry_after} seconds.',
  'apiError.NOT_FOUND': 'Not found. It may have been removed or may belong to another bank.',
  'apiError.SYNC_ALREADY_RUNNING': 'A sync of this loan type is already running. Wait for it to finish.',
  'apiError.NO_PENDING_UPLOADS': 'Nothing to sync: upload a file of this loan type first.',
  'apiError.VALIDATION_FAILED': 'The request was not valid: {message}',
  'apiError.INTERNAL': 'The server had a problem. Try again; if it persists, quote the request id.',
  'apiError.NETWORK': 'Cannot reach the server. Check your connection and try again.',
  'apiError.SERVICE_UNAVAILABLE': 'A service is temporarily unavailable. Try again shortly.',

  // file-level upload rejections (loan-files.md §7)
  'reject.EMPTY_FILE': 'The file is empty: it has no header line, or a header and no data rows.',
  'reject.INVALID_ENCODING': 'The file is not valid UTF-8 (first bad byte at offset {offset}). Save it as UTF-8 and upload it again.',
  'reject.MISSING_COLUMNS': 'The header lacks required columns: {columns}.',
  'reject.DUPLICATE_COLUMNS': 'The header repeats columns: {columns}.',
  'reject.MALFORMED_CSV': 'The CSV structure is broken at row {row} (for example an unclosed quote).',
  'reject.FILE_TOO_LARGE': 'The file is larger than the limit of {limit}.',
  'reject.UNSUPPORTED_MEDIA_TYPE': 'This type of file is not accepted. Upload a .csv file.',
};

export type MessageKey = keyof typeof en;

const tr: Record<MessageKey, string> = {
  'a11y.skip': 'İçeriğe geç',
  'a11y.menu': 'Menü',
  'a11y.mainNav': 'Ana menü',
  'lang.label': 'Dil / Language',

  'nav.dashboard': 'Genel bakış',
  'nav.upload': 'Dosya yükle',
  'nav.syncs': 'Senkronizasyonlar',
  'nav.data': 'Veri',
  'nav.profiling': 'Profil',
  'nav.errors': 'Hatalar',
  'nav.settings': 'Ayarlar',
  'nav.signOut': 'Çıkış yap',

  'action.cancel': 'Vazgeç',
  'action.clearFilters': 'Filtreleri temizle',
  'action.copied': 'Kopyalandı',
  'action.copy': 'Kopyala',
  'action.dismiss': 'Kapat',
  'action.refresh': 'Yenile',
  'action.remove': 'Kaldır',
  'action.retry': 'Tekrar dene',
  'action.save': 'Kaydet',

  'common.actions': 'İşlemler',
  'common.all': 'Tümü',
  'common.empty': 'boş',
  'common.fileType': 'Dosya',
  'common.loanType': 'Kredi türü',
  'common.newTab': 'yeni sekmede açılır',
  'common.rows': 'Satır',

  'loanType.RETAIL': 'Bireysel',
  'loanType.COMMERCIAL': 'Ticari',
  'fileType.credit': 'Krediler',
  'fileType.payment_plan': 'Ödeme planı',

  'status.PENDING': 'Bekliyor',
  'status.RUNNING': 'Çalışıyor',
  'status.SUCCESS': 'Başarılı',
  'status.ABORTED': 'Durduruldu',
  'status.FAILED': 'Başarısız',
  'trigger.SCHEDULE': 'Zamanlanmış',
  'trigger.MANUAL': 'Elle',

  'code.REQUIRED': 'Zorunlu alan',
  'code.TYPE': 'Tür',
  'code.FORMAT': 'Biçim',
  'code.RANGE': 'Aralık',
  'code.VALUE': 'Değer',
  'code.DUPLICATE': 'Mükerrer',
  'code.CROSS_REFERENCE': 'Çapraz referans',

  'type.string': 'Metin',
  'type.int': 'Tam sayı',
  'type.money': 'Tutar',
  'type.percent': 'Oran',
  'type.date': 'Tarih',
  'type.code': 'Kod',

  'phase.starting': 'Başlatılıyor',
  'phase.claiming': 'Yüklemeler alınıyor',
  'phase.validating': 'Satırlar doğrulanıyor',
  'phase.deciding': 'Hata oranı kontrol ediliyor',
  'phase.committing': 'Veri ambarına yazılıyor',
  'phase.cleaning_up': 'Temizleniyor',
  'phase.recording': 'Sonuç kaydediliyor',
  'phase.done': 'Tamamlandı',
  'step.begin': 'Başlat',
  'step.claim': 'Yüklemeleri al',
  'step.validate credit': 'Kredileri doğrula',
  'step.validate payment_plan': 'Ödeme planını doğrula',
  'step.carry over payments': 'Ödemeleri aktar',
  'step.commit': 'Veri ambarına yaz',
  'step.roll back': 'Geri al',
  'step.clean up': 'Temizle',
  'step.record': 'Sonucu kaydet',

  'unit.ms': 'ms',
  'unit.s': 'sn',
  'unit.min': 'dk',
  'unit.h': 'sa',
  'unit.sLong': 'saniye',
  'unit.minLong': 'dakika',
  'unit.hLong': 'saat',
  'time.justNow': 'az önce',

  'state.loading': 'Yükleniyor…',
  'state.checkingSession': 'Oturum kontrol ediliyor…',
  'state.errorTitle': 'Bir sorun oluştu',
  'state.pageCrashed': 'Bu sayfa gösterilemedi',
  'state.requestId': 'İstek no',

  'pager.showing': '{total} kayıttan {from}–{to}',
  'pager.previous': 'Önceki',
  'pager.next': 'Sonraki',
  'pager.page': 'Sayfa {page} / {pages}',

  'chart.showTable': 'Veriyi tablo olarak göster',

  'notFound.title': 'Sayfa bulunamadı',
  'notFound.text': 'Bu adres findata’daki hiçbir sayfaya karşılık gelmiyor.',

  'signin.title': 'Giriş yap',
  'signin.intro': 'Bankanızın findata API anahtarını kullanın. Anahtar güvenli bir oturumla değiştirilir ve bu tarayıcıda saklanmaz.',
  'signin.apiKey': 'API anahtarı',
  'signin.help': 'sk_live_ ile başlar — sizde yoksa yöneticinize başvurun.',
  'signin.showKey': 'Anahtarı göster',
  'signin.hideKey': 'Anahtarı gizle',
  'signin.submit': 'Giriş yap',
  'signin.submitting': 'Giriş yapılıyor…',
  'signin.required': 'API anahtarınızı girin.',
  'signin.wrongKey': 'Bu API anahtarı kabul edilmedi. Anahtarın tamamını kopyaladığınızdan (sk_live_ ile başlar) ve anahtarın yenilenmediğinden emin olun.',
  'signin.expired': 'Oturumunuz sona erdi. Devam etmek için yeniden giriş yapın.',
  'signin.signedOut': 'Çıkış yaptınız.',
  'signin.privacy': 'Oturumlar 8 saat sürer. Çıkış yapmak bu cihazdaki oturumu sonlandırır.',

  'dash.subtitle': 'Son senkronizasyonlar, veri ambarı içeriği ve bekleyen işler.',
  'dash.uploadFiles': 'Dosya yükle',
  'dash.latestSyncs': 'Kredi türüne göre son senkronizasyon',
  'dash.noSyncYet': 'Henüz senkronizasyon yok',
  'dash.uploadToStart': 'Başlamak için dosya yükleyin',
  'dash.when': 'Zaman',
  'dash.rowsWritten': 'Yazılan satır',
  'dash.ofRows': '{n} satırdan',
  'dash.errorRate': 'Hata oranı',
  'dash.viewSync': 'Senkronizasyonu aç',
  'dash.watchProgress': 'İlerlemeyi izle',
  'dash.chartTitle': 'Senkronizasyonlar ve hata oranları',
  'dash.chartRows': 'Satır',
  'dash.chartErrorRate': 'Hata oranı (%)',
  'dash.chartAria': 'Son {n} senkronizasyonun çubuk ve çizgi grafiği: senkronizasyon başına satır ve yüzde hata oranı.',
  'dash.allSyncs': 'Tüm senkronizasyonlar',
  'dash.noHistory': 'Henüz senkronizasyon yok',
  'dash.noHistoryText': 'Grafik ilk senkronizasyondan sonra dolar.',
  'dash.warehouse': 'Veri ambarı',
  'dash.browseData': 'Veriye göz at',
  'dash.rows': 'satır',
  'dash.pending': 'Bekleyenler',
  'dash.nothingPending': 'Bekleyen yükleme yok.',
  'dash.rowsN': '{n} satır',
  'dash.schedules': 'Zamanlanmış senkronizasyonlar',
  'dash.everyN': 'her {d}',

  'upload.subtitle': 'Bir kredi türünün kredi ve ödeme planı dosyalarını bırakın. Her dosya gelir gelmez kontrol edilir.',
  'upload.creditHelp': 'Her kredi hesabı için bir satır (credit.csv).',
  'upload.paymentHelp': 'Her taksit için bir satır (payment_plan.csv).',
  'upload.dropHere': 'CSV dosyasını buraya sürükleyip bırakın veya',
  'upload.chooseFile': 'dosya seçin',
  'upload.csvOnly': 'UTF-8 CSV; ayraç , ; | veya sekme.',
  'upload.fileInputAria': '{file} dosyası ({lt})',
  'upload.progressAria': '{file} dosyasının yüklenmesi',
  'upload.sent': '{total} içinden {sent} gönderildi (%{pct})',
  'upload.checking': 'Tüm baytlar gönderildi — sunucu dosyayı kontrol ediyor…',
  'upload.accepted': 'Kabul edildi',
  'upload.acceptedText': '{n} satır, {size}. Senkronizasyon bekleniyor.',
  'upload.acceptedToast': '{file}: {n} satır kabul edildi',
  'upload.rejected': 'Reddedildi',
  'upload.rejectedToast': '{file}: dosya reddedildi',
  'upload.serverSaid': 'Ayrıntı',
  'upload.cancelled': 'Yükleme iptal edildi.',
  'upload.warningsN': 'Uyarılar ({n})',
  'upload.readyTitle': '{lt} senkronizasyonu',
  'upload.readyText': 'Bekleyen: {files}. Senkronizasyon satırları doğrular ve bu kredi türünün ambar verisini yeniler.',
  'upload.nothingToSync': 'Bu kredi türü için bekleyen dosya yok: önce en az bir dosya yükleyin.',
  'upload.syncNow': 'Şimdi senkronize et',
  'upload.syncNowLt': '{lt} şimdi senkronize et',
  'upload.syncStarted': '{lt} senkronizasyonu başladı',
  'upload.pendingTitle': 'Bekleyen yüklemeler',
  'upload.noPending': 'Bekleyen yükleme yok',
  'upload.noPendingText': 'Kabul edilen dosyalar bir senkronizasyon alana kadar burada bekler.',
  'upload.fileName': 'Dosya adı',
  'upload.size': 'Boyut',
  'upload.uploadedAt': 'Yüklenme',
  'upload.warnings': 'Uyarılar',
  'upload.removeAria': 'Bekleyen {file} yüklemesini kaldır',
  'upload.removeTitle': 'Bekleyen yükleme kaldırılsın mı?',
  'upload.removeConfirm': 'Bekleyen {file} yüklemesi silinecek ve senkronize edilmeyecek.',
  'upload.removed': 'Bekleyen yükleme kaldırıldı',

  'syncs.subtitle': 'Kredi portföyünüzün tüm senkronizasyonları, en yenisi önce.',
  'syncs.filtersAria': 'Senkronizasyonları filtrele',
  'syncs.status': 'Durum',
  'syncs.started': 'Başlangıç',
  'syncs.trigger': 'Tetikleyici',
  'syncs.duration': 'Süre',
  'syncs.id': 'No',
  'syncs.caption': 'Senkronizasyon geçmişi',
  'syncs.none': 'Henüz senkronizasyon yok',
  'syncs.noMatch': 'Bu filtrelere uyan senkronizasyon yok',
  'syncs.openAria': '{when} tarihli {lt} senkronizasyonu',
  'syncs.pagerAria': 'Senkronizasyon geçmişi sayfaları',

  'detail.docTitle': 'Senkronizasyon',
  'detail.title': '{lt} senkronizasyonu',
  'detail.openTemporal': 'Temporal UI’da aç',
  'detail.viewErrors': 'Hatalar',
  'detail.viewErrorsN': '{n} hatayı incele',
  'detail.inProgress': 'Devam ediyor',
  'detail.live': 'Canlı',
  'detail.currentStep': 'Şu anki adım',
  'detail.waiting': 'İşçi bekleniyor…',
  'detail.progressAria': 'Senkronizasyon ilerlemesi',
  'detail.elapsed': '{d} geçti',
  'detail.fileProgressAria': '{file} doğrulanan satırlar',
  'detail.rowsProcessed': '{total} satırdan {done} · {invalid} geçersiz',
  'detail.phase': 'Aşama',
  'detail.errorsSoFar': 'Şu ana kadarki hatalar',
  'detail.stepsDone': 'Tamamlanan adımlar',
  'detail.phaseNow': 'Şimdi: {phase}',
  'detail.finishedAnnounce': 'Senkronizasyon bitti: {status}',
  'detail.pollError': 'Canlı güncelleme duraklatıldı',
  'detail.outcome': 'Sonuç',
  'detail.completed': 'Bitti — {status}',
  'detail.invalidRows': 'Geçersiz satır',
  'detail.validRows': 'Geçerli satır',
  'detail.rowsRemoved': 'Silinen satır',
  'detail.perFile': 'Dosya bazında sayılar',
  'detail.notInSync': 'Bu senkronizasyonda yok',
  'detail.removedN': 'Kaldırılan kredilerin {n} ödeme satırı silindi',
  'detail.timeline': 'Adım zaman çizelgesi',
  'detail.noTimeline': 'Adım zaman çizelgesi artık iş akışından alınamıyor; Temporal UI’da açın.',
  'detail.running': 'çalışıyor',

  'errors.subtitle': 'Bir senkronizasyonun doğrulama hataları, koda ve sütuna göre.',
  'errors.sync': 'Senkronizasyon',
  'errors.nErrors': '{n} hata',
  'errors.openSync': 'Senkronizasyonu aç',
  'errors.none': 'Doğrulama hatası yok',
  'errors.noneText': 'Bu senkronizasyonun tüm satırları geçerliydi.',
  'errors.byCode': 'Koda göre hatalar',
  'errors.byCodeAria': 'Koda göre hataların çubuk grafiği: {list}',
  'errors.byColumn': 'Sütuna göre hatalar',
  'errors.byColumnAria': 'Sütuna göre hataların çubuk grafiği: {list}',
  'errors.count': 'Hata',
  'errors.code': 'Kod',
  'errors.column': 'Sütun',
  'errors.row': 'Satır',
  'errors.message': 'Mesaj',
  'errors.value': 'Değer',
  'errors.tableTitle': 'Hata listesi',
  'errors.filtersAria': 'Hataları filtrele',
  'errors.noMatch': 'Bu filtrelere uyan hata yok',
  'errors.pagerAria': 'Hata listesi sayfaları',
  'errors.downloadCsv': 'Hatalı kayıtlar (CSV)',

  'data.subtitle': 'Veri ambarındaki satırlar. Tutarlar ve oranlar saklandığı gibi, tam değeriyle gösterilir.',
  'data.filters': 'Filtreler',
  'data.activeFilters': '{n} etkin filtre',
  'data.activeFiltersLabel': 'Etkin filtreler',
  'data.removeFilter': '{f} filtresini kaldır',
  'data.from': 'Başlangıç',
  'data.to': 'Bitiş',
  'data.columns': 'Sütunlar {n}/{total}',
  'data.columnsLegend': 'Görünen sütunlar',
  'data.resetColumns': 'Varsayılan sütunlar',
  'data.allColumns': 'Tüm sütunlar',
  'data.noMatch': 'Bu filtrelere uyan satır yok',
  'data.empty': 'Veri ambarında henüz {lt} · {ft} satırı yok',
  'data.tableAria': '{lt} · {ft} satırları',
  'data.sortHint': 'Sütun başlıkları tabloyu sıralayan düğmelerdir.',
  'data.pageSize': 'Sayfa başına satır',
  'data.pagerAria': 'Veri sayfaları',
  'data.totalRows': '{n} satır eşleşiyor',

  'profiling.subtitle': 'Veri ambarındaki verinin sütun bazında istatistikleri (ClickHouse’ta hesaplanır).',
  'profiling.find': 'Sütun ara',
  'profiling.findPlaceholder': 'ad veya etiket',
  'profiling.columns': 'Sütun',
  'profiling.profiledAt': 'Profil zamanı',
  'profiling.cacheNote': 'Her senkronizasyondan sonra yenilenir',
  'profiling.noColumn': 'Eşleşen sütun yok',
  'profiling.nulls': 'Boş',
  'profiling.distinct': 'Farklı',
  'profiling.min': 'En küçük',
  'profiling.max': 'En büyük',
  'profiling.mean': 'Ortalama',
  'profiling.sum': 'Toplam',
  'profiling.histogram': 'Dağılım',
  'profiling.topValues': 'En sık değerler',
  'profiling.noChart': 'Serbest metin: grafik yok.',
  'profiling.histAria': '{col} histogramı, {n} aralık',
  'profiling.topAria': '{col} en sık değerleri: {list}',
  'profiling.count': 'Satır',
  'profiling.range': 'Aralık',
  'profiling.value': 'Değer',

  'settings.subtitle': 'Bankanız, senkronizasyon zamanlamaları ve API anahtarı.',
  'settings.tenant': 'Kurum',
  'settings.name': 'Ad',
  'settings.tenantId': 'Kurum kodu',
  'settings.statusLabel': 'Durum',
  'settings.active': 'Etkin',
  'settings.inactive': 'Devre dışı',
  'settings.created': 'Oluşturulma',
  'settings.pgSchema': 'PostgreSQL şeması',
  'settings.chDatabase': 'ClickHouse veritabanı',
  'settings.temporal': 'Temporal UI',
  'settings.apiKey': 'API anahtarı',
  'settings.keyIntro': 'Entegrasyonlar ve bu web uygulaması anahtarı kullanır. Yenilemek yeni bir anahtar üretir; eski anahtar hemen geçersiz olur.',
  'settings.currentKey': 'Geçerli anahtar',
  'settings.rotate': 'API anahtarını yenile',
  'settings.rotateTitle': 'API anahtarı yenilensin mi?',
  'settings.rotateText': 'Yeni bir anahtar üretilir ve geçerli anahtar hemen çalışmaz hale gelir. Onu kullanan tüm entegrasyonlar güncellenmelidir. Oturumunuz açık kalır.',
  'settings.rotateConfirm': 'Anahtarı yenile',
  'settings.rotated': 'Yeni API anahtarı üretildi',
  'settings.newKey': 'Yeni API anahtarınız',
  'settings.newKeyWarning': 'Şimdi kopyalayın: yalnızca bir kez gösterilir ve sonradan alınamaz.',
  'settings.savedKey': 'Kaydettim',
  'settings.schedules': 'Senkronizasyon zamanlamaları',
  'settings.schedulesIntro': 'Zamanlanmış senkronizasyonlar bekleyen yüklemeleri otomatik alır. Her zaman elle de senkronize edebilirsiniz.',
  'settings.scheduled': 'Zamanlanmış',
  'settings.interval': 'Sıklık',
  'settings.unit': 'Birim',
  'settings.intervalInvalid': '5 saniye ile 24 saat arasında bir aralık girin.',
  'settings.runsEvery': 'Bekleyen yüklemeler her {d} kontrol edilir.',
  'settings.manualOnly': 'Zamanlama kapalı: Dosya yükle sayfasından elle senkronize edin.',
  'settings.saving': 'Kaydediliyor…',
  'settings.saved': '{lt} zamanlaması kaydedildi',
  'settings.pendingRows': 'Bekleyen satır — {c}: {credit}, {p}: {pp}',
  'settings.updated': 'güncelleme {when}',
  'settings.disabled': 'Kapalı',

  'summary.success': 'Yazıldı — {files}.',
  'summary.invalid': '{n} geçersiz satır hatalı kayıt olarak saklandı.',
  'summary.removed': 'Kredi dosyasında artık bulunmayan kredilerin {n} ödeme satırı silindi.',
  'summary.aborted': 'Durduruldu: {total} satırın {invalid} tanesi geçersiz ({rate} > %50). Veri ambarı önceki verisini korur; dosyaları düzeltip yeniden yükleyin.',
  'summary.nothing': 'Senkronize edilecek bir şey yoktu: bekleyen yükleme yok.',
  'summary.filePart': '{file}: {n} satır',

  'apiError.UNAUTHORIZED': 'Giriş yapmadınız veya oturumunuz sona erdi.',
  'apiError.FORBIDDEN': 'Bu kaynağa erişim yetkiniz yok.',
  'apiError.CSRF_FAILED': 'Sayfa güncel değil. Sayfayı yenileyip tekrar deneyin.',
  'apiError.RATE_LIMITED': 'Çok fazla istek. {retry_after} saniye sonra tekrar deneyin.',
  'apiError.NOT_FOUND': 'Bulunamadı. Silinmiş veya başka bir bankaya ait olabilir.',
  'apiError.SYNC_ALREADY_RUNNING': 'Bu kredi türünün senkronizasyonu zaten çalışıyor. Bitmesini bekleyin.',
  'apiError.NO_PENDING_UPLOADS': 'Senkronize edilecek bir şey yok: önce bu kredi türünden bir dosya yükleyin.',
  'apiError.VALIDATION_FAILED': 'İstek geçerli değil: {message}',
  'apiError.INTERNAL': 'Sunucuda bir sorun oluştu. Tekrar deneyin; sürerse istek numarasını iletin.',
  'apiError.NETWORK': 'Sunucuya ulaşılamıyor. Bağlantınızı kontrol edip tekrar deneyin.',
  'apiError.SERVICE_UNAVAILABLE': 'Bir hizmet geçici olarak kullanılamıyor. Biraz sonra tekrar deneyin.',

  'reject.EMPTY_FILE': 'Dosya boş: başlık satırı yok ya da başlıktan sonra veri satırı yok.',
  'reject.INVALID_ENCODING': 'Dosya geçerli UTF-8 değil (ilk hatalı bayt konumu: {offset}). UTF-8 olarak kaydedip yeniden yükleyin.',
  'reject.MISSING_COLUMNS': 'Başlıkta zorunlu sütunlar eksik: {columns}.',
  'reject.DUPLICATE_COLUMNS': 'Başlıkta tekrarlanan sütunlar var: {columns}.',
  'reject.MALFORMED_CSV': 'CSV yapısı {row}. satırda bozuk (örneğin kapanmamış tırnak).',
  'reject.FILE_TOO_LARGE': 'Dosya {limit} sınırından büyük.',
  'reject.UNSUPPORTED_MEDIA_TYPE': 'Bu dosya türü kabul edilmiyor. Bir .csv dosyası yükleyin.',
};

/** Turkish column labels; English labels come from domain/columns.ts. */
const TR_COLUMNS: Record<string, string> = {
  loan_account_number: 'Kredi hesap numarası',
  customer_id: 'Müşteri numarası',
  customer_type: 'Müşteri tipi',
  branch_code: 'Şube kodu',
  product_code: 'Ürün kodu',
  currency: 'Para birimi',
  original_amount: 'Kredi tutarı',
  outstanding_principal: 'Kalan anapara',
  accrued_interest: 'Tahakkuk eden faiz',
  overdue_principal: 'Gecikmiş anapara',
  overdue_interest: 'Gecikmiş faiz',
  interest_rate: 'Faiz oranı',
  bsmv_rate: 'BSMV oranı',
  kkdf_rate: 'KKDF oranı',
  effective_annual_rate: 'Yıllık efektif oran',
  disbursement_date: 'Kullandırım tarihi',
  maturity_date: 'Vade tarihi',
  first_installment_date: 'İlk taksit tarihi',
  last_payment_date: 'Son ödeme tarihi',
  installment_count: 'Taksit sayısı',
  paid_installment_count: 'Ödenen taksit',
  installment_frequency: 'Taksit sıklığı',
  loan_status: 'Kredi durumu',
  days_past_due: 'Gecikme (gün)',
  risk_stage: 'Risk aşaması',
  collateral_type: 'Teminat türü',
  collateral_value: 'Teminat değeri',
  province_code: 'İl kodu',
  insurance_included: 'Sigorta dahil',
  sector_code: 'Sektör kodu (NACE)',
  loan_product_type: 'Kredi ürün tipi',
  installment_number: 'Taksit no',
  due_date: 'Taksit vadesi',
  installment_amount: 'Taksit tutarı',
  principal_amount: 'Anapara',
  interest_amount: 'Faiz',
  tax_amount: 'Vergi',
  remaining_principal: 'Kalan anapara',
  payment_date: 'Ödeme tarihi',
  paid_amount: 'Ödenen tutar',
  payment_status: 'Ödeme durumu',
  days_late: 'Gecikme (gün)',
  loan_type: 'Kredi türü',
  sync_id: 'Senkronizasyon',
  source_row: 'Kaynak satır',
  loaded_at: 'Yüklenme zamanı',
};
const EN_SYSTEM: Record<string, string> = { loan_type: 'Loan type', sync_id: 'Sync', source_row: 'Source row', loaded_at: 'Loaded at' };
const EN_COLUMNS: Record<string, string> = Object.fromEntries([
  ...[...COLUMNS.credit, ...COLUMNS.payment_plan].map((c) => [c.name, c.label]),
  ...SYSTEM_COLUMNS.map((c) => [c.name, EN_SYSTEM[c.name] ?? c.name]),
]);

const DICTS: Record<Lang, Record<MessageKey, string>> = { en, tr };

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'tr') return saved;
  } catch {
    /* storage blocked */
  }
  return navigator.language?.toLowerCase().startsWith('tr') ? 'tr' : 'en';
}

const [lang, setLangSignal] = createSignal<Lang>(initialLang());
export { lang };

export function applyDocumentLang(): void {
  document.documentElement.lang = lang();
}

export function setLang(l: Lang): void {
  setLangSignal(l);
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    /* storage blocked: the choice lasts for this page */
  }
  applyDocumentLang();
}

export const intlLocale = () => (lang() === 'tr' ? 'tr-TR' : 'en-GB');

const has = (key: string): key is MessageKey => key in en;

/** Translates a key; {name} placeholders are filled from vars. Reactive (reads the language signal). */
export function t(key: MessageKey, vars?: Record<string, string | number | undefined>): string {
  const s = DICTS[lang()][key] ?? en[key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (vars[k] === undefined ? m : String(vars[k]))) : s;
}

export const ltLabel = (lt: LoanType) => t(`loanType.${lt}`);
export const ftLabel = (ft: FileType) => t(`fileType.${ft}`);
export const phaseLabel = (p: string) => (has(`phase.${p}`) ? t(`phase.${p}` as MessageKey) : p);
export const stepLabel = (s: string) => (has(`step.${s}`) ? t(`step.${s}` as MessageKey) : s);
export function colLabel(name: string): string {
  if (lang() === 'tr' && TR_COLUMNS[name]) return TR_COLUMNS[name];
  return EN_COLUMNS[name] ?? name;
}

type SyncLogLike = {
  status: string;
  files: Partial<Record<FileType, { rows_total: number; rows_invalid: number } | undefined>>;
  rows_written: Record<string, number>;
  rows_removed: { payment_plan: number };
  error_rate: number;
  message: string;
};

/**
 * A localized one-line outcome of a finished sync, built from its counts (the server's message is English).
 * FAILED syncs keep the server's message: it carries the technical reason.
 */
export function syncSummary(l: SyncLogLike): string {
  const nf = new Intl.NumberFormat(intlLocale());
  const fts = (['credit', 'payment_plan'] as const).filter((ft) => l.files[ft]);
  if (l.status === 'PENDING' || l.status === 'RUNNING') return '';
  if (l.status === 'FAILED') return l.message;
  if (fts.length === 0) return l.message ? t('summary.nothing') : '';
  const total = fts.reduce((n, ft) => n + (l.files[ft]?.rows_total ?? 0), 0);
  const invalid = fts.reduce((n, ft) => n + (l.files[ft]?.rows_invalid ?? 0), 0);
  if (l.status === 'ABORTED') {
    const rate = new Intl.NumberFormat(intlLocale(), { style: 'percent', maximumFractionDigits: 1 }).format(l.error_rate);
    return t('summary.aborted', { invalid: nf.format(invalid), total: nf.format(total), rate });
  }
  const parts = fts.map((ft) => t('summary.filePart', { file: ftLabel(ft), n: nf.format(l.rows_written[ft] ?? 0) })).join(', ');
  let s = t('summary.success', { files: parts });
  if (invalid) s += ` ${t('summary.invalid', { n: nf.format(invalid) })}`;
  if (l.rows_removed.payment_plan) s += ` ${t('summary.removed', { n: nf.format(l.rows_removed.payment_plan) })}`;
  const cleanup = l.message.indexOf('Clean-up failed');
  if (cleanup >= 0) s += ` ${l.message.slice(cleanup)}`;
  return s;
}

function detailVars(e: ApiError): Record<string, string> {
  const out: Record<string, string> = { message: e.message };
  for (const [k, v] of Object.entries(e.details)) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

/** A user-facing message for any error: translated by code when known, the server's message otherwise. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    const key = `apiError.${e.code}`;
    if (has(key)) return t(key, detailVars(e));
    const rej = `reject.${e.code}`;
    if (has(rej)) return uploadRejection(e);
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The file-level verdict of a rejected upload, with its details (offset, columns, row, limit). */
export function uploadRejection(e: ApiError | Error): string {
  if (!(e instanceof ApiError)) return e.message;
  const key = `reject.${e.code}`;
  if (!has(key)) return errorMessage(new ApiError(e.status, `_${e.code}`, e.message)) || e.message;
  const vars = detailVars(e);
  if (typeof e.details.limit_bytes === 'number') {
    const mb = e.details.limit_bytes / (1024 * 1024);
    vars.limit = mb >= 1 ? `${Math.round(mb)} MB` : `${e.details.limit_bytes} B`;
  }
  vars.row ??= '?';
  vars.offset ??= '?';
  vars.columns ??= '?';
  return t(key, vars);
}

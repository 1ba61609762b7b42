/** Providers and routes. Every route is a deep link: the server answers unknown paths with index.html. */
import { QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { BrowserRouter, Link, Route, Routes } from 'react-router';
import { AppShell } from './app/AppShell';
import { PageTitle } from './components/PageTitle';
import { EmptyState, PageLoader } from './components/ui';
import { AuthProvider, useAuth } from './lib/auth';
import { ENROLMENT_PATH, RequireAdmin, RequireAuth, RequireStaff } from './features/auth/guards';
import { LoginPage } from './features/auth/LoginPage';
import { chatStore } from './features/chat/chatStore';
import { FileLibrary } from './features/files/FileLibrary';
import { MyMemory } from './features/memory/MyMemory';
import { ProfilePage } from './features/profile/ProfilePage';
import { TwoStepPage } from './features/profile/TwoStepPage';
import { queryClient } from './api/queryClient';
import { useLiveConnection } from './hooks/useLive';
import { I18nProvider, useI18n } from './i18n';
import { ThemeProvider } from './theme/ThemeContext';

// The signed-in app (with the Markdown renderer) is its own chunk, so the sign-in page does not
// download it; staff-only areas are separate chunks, fetched the first time someone opens them.
const chatRoutes = () => import('./features/chat/ChatArea');
const ChatLayout = lazy(() => chatRoutes().then((m) => ({ default: m.ChatLayout })));
const ConversationView = lazy(() => chatRoutes().then((m) => ({ default: m.ConversationView })));
const AdminArea = lazy(() => import('./features/admin/AdminArea'));
const StaffArea = lazy(() => import('./features/admin/StaffArea'));
const SimulatorPage = lazy(() => import('./features/simulator/SimulatorPage').then((m) => ({ default: m.SimulatorPage })));

function Loading({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  return (
    <Suspense fallback={<PageLoader label={t('app.loading')} />}>
      {children}
    </Suspense>
  );
}

function NotFound() {
  const { t } = useI18n();
  return (
    <main className="page page--narrow" id="main">
      <EmptyState icon="help" title={t('app.notFound')} heading={1}>
        <Link to="/" className="btn btn--primary">
          {t('app.backHome')}
        </Link>
      </EmptyState>
    </main>
  );
}

/** Nothing of a signed-out user's conversations stays in memory. */
function ForgetOnSignOut() {
  const { status } = useAuth();
  useEffect(() => {
    if (status !== 'signed_out') return;
    chatStore.reset();
    queryClient.clear();
  }, [status]);
  return null;
}

/** One live stream per tab while signed in. */
function LiveConnection() {
  const { status, enrolmentRequired } = useAuth();
  useLiveConnection(status === 'signed_in' && !enrolmentRequired);
  return null;
}

function LangAttribute() {
  const { lang } = useI18n();
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return null;
}

export function AppRoutes() {
  const { status } = useAuth();
  useEffect(() => {
    // A returning participant's session is being resumed: fetch the chat alongside it.
    if (status === 'loading') void chatRoutes();
  }, [status]);
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        path={ENROLMENT_PATH}
        element={
          <RequireAuth>
            <TwoStepPage />
          </RequireAuth>
        }
      />
      <Route
        element={
          <RequireAuth>
            <AppShell />
          </RequireAuth>
        }
      >
        <Route
          element={
            <Loading>
              <ChatLayout />
            </Loading>
          }
        >
          <Route index element={<ConversationView />} />
          <Route path="c/:conversationId" element={<ConversationView />} />
        </Route>
        <Route
          path="profile"
          element={
            <ProfilePage>
              <MyMemory />
              <FileLibrary />
            </ProfilePage>
          }
        />
        <Route
          path="admin/*"
          element={
            <RequireAdmin>
              <Loading>
                <AdminArea />
              </Loading>
            </RequireAdmin>
          }
        />
        <Route
          path="staff/*"
          element={
            <RequireStaff>
              <Loading>
                <StaffArea />
              </Loading>
            </RequireStaff>
          }
        />
        <Route
          path="simulator"
          element={
            <RequireAdmin>
              <Loading>
                <SimulatorPage />
              </Loading>
            </RequireAdmin>
          }
        />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <I18nProvider>
      <ThemeProvider>
        <QueryClientProvider client={queryClient}>
          <AuthProvider>
            <LangAttribute />
            <ForgetOnSignOut />
            <LiveConnection />
            <BrowserRouter>
              <PageTitle />
              <AppRoutes />
            </BrowserRouter>
          </AuthProvider>
        </QueryClientProvider>
      </ThemeProvider>
    </I18nProvider>
  );
}

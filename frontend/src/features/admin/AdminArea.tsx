/**
 * The admin area's routes, loaded as their own chunk: participants never download the admin
 * pages, and the first load of the chat stays small.
 */
import { Navigate, Route, Routes } from 'react-router';
import { AdminLayout } from './AdminLayout';
import { AuditPage } from './AuditPage';
import { CohortDetailPage } from './CohortDetailPage';
import { CohortsPage } from './CohortsPage';
import { ConversationsPage } from './ConversationsPage';
import { TranscriptPage } from './TranscriptPage';
import { UsagePage } from './UsagePage';
import { UsersPage } from './UsersPage';

export default function AdminArea() {
  return (
    <Routes>
      <Route element={<AdminLayout />}>
        <Route index element={<Navigate to="/admin/users" replace />} />
        <Route path="users" element={<UsersPage />} />
        <Route path="cohorts" element={<CohortsPage />} />
        <Route path="cohorts/:cohortId" element={<CohortDetailPage />} />
        <Route path="usage" element={<UsagePage />} />
        <Route path="conversations" element={<ConversationsPage />} />
        <Route path="conversations/:conversationId" element={<TranscriptPage />} />
        <Route path="audit" element={<AuditPage />} />
      </Route>
    </Routes>
  );
}

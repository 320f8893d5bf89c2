"""Django admin for staff accounts (owner only): read-only, since every change is made on the
Team pages (`clinic:team`), where it is checked and written to the access log."""

from django.contrib import admin

from glabella.core.forms import AdminSignInForm
from glabella.core.models import StaffMember


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["full_name", "role", "credential", "licence_state", "licence_expires", "active"]
    list_filter = ["role", "active"]
    raw_id_fields = ["user", "supervising_prescriber"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Sign-ins to the admin are counted and locked like the staff form's (issue 18).
admin.site.login_form = AdminSignInForm
